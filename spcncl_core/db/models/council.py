"""The council (hội đồng): members, scoring assignments, conflicts, and scoring forms (phiếu đánh giá)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spcncl_core.db.base import Base, ExactDecimal, UTCDateTime, utcnow
from spcncl_core.db.models.users import User

COUNCIL_ROLES = ("chair", "vice_chair", "secretary", "member")


class CouncilMember(Base):
    """A person on a round's council."""

    __tablename__ = "council_member"
    __table_args__ = (UniqueConstraint("round_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="member")
    voting: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User | None] = relationship()

    @property
    def username(self) -> str | None:
        """The linked back-office account's user name, if any."""
        return self.user.username if self.user is not None else None


class Assignment(Base):
    """Phân công chấm điểm: a member scores a criterion of a criteria set in a round."""

    __tablename__ = "assignment"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    criteria_set_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    criterion_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("council_member.id"), primary_key=True)


class Conflict(Base):
    """A member's declared link to an applicant: the member does not score that dossier."""

    __tablename__ = "conflict"

    member_id: Mapped[int] = mapped_column(ForeignKey("council_member.id"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScoringForm(Base):
    """A member's scoring form for one dossier; submitting locks it. Versioned against concurrent edits."""

    __tablename__ = "scoring_form"
    __table_args__ = (UniqueConstraint("member_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("council_member.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    entries: Mapped[list[ScoringEntry]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    member: Mapped[CouncilMember] = relationship()

    __mapper_args__ = {"version_id_col": version}


class ScoringEntry(Base):
    """The points a member gives one criterion on their form."""

    __tablename__ = "scoring_entry"

    form_id: Mapped[int] = mapped_column(ForeignKey("scoring_form.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    points: Mapped[Decimal] = mapped_column(ExactDecimal)
    note: Mapped[str | None] = mapped_column(Text)
