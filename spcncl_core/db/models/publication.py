"""Publication of results (công khai kết quả), public comments (góp ý) and explanations (giải trình)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spcncl_core.db.base import Base, JSONData, UTCDateTime, utcnow

COMMENT_STATES = ("open", "explanation_requested", "resolved")
RESOLUTIONS = ("kept", "rescored", "excluded")


class Publication(Base):
    """A frozen snapshot of a round's results and the comment window it opens."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("round_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comments_until: Mapped[datetime] = mapped_column(UTCDateTime)
    snapshot: Mapped[list[Any]] = mapped_column(JSONData)


class Comment(Base):
    """A public comment on a dossier, and how it was resolved."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    author: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(30), default="open")
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    explanations: Mapped[list[Explanation]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class Explanation(Base):
    """The enterprise's explanation (giải trình) answering a comment."""

    __tablename__ = "explanation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
