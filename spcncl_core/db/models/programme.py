"""Jurisdictions, programme rounds (đợt xét chọn) and the criteria set chosen for each product group."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spcncl_core.db.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from spcncl_core.db.models.dossiers import Dossier


class Jurisdiction(Base):
    """A province or city running a programme (hanoi, hue, …)."""

    __tablename__ = "jurisdiction"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Round(Base):
    """One programme year of a jurisdiction, from plan to recognition."""

    __tablename__ = "round"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdiction.id"))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    plan_ref: Mapped[str | None] = mapped_column(String(100))
    council_decision_ref: Mapped[str | None] = mapped_column(String(100))
    comment_days: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(20), default="registration", server_default="registration")
    scoring_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scoring_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    criteria_sets: Mapped[list[RoundCriteriaSet]] = relationship(back_populates="round", cascade="all, delete-orphan")
    dossiers: Mapped[list[Dossier]] = relationship(back_populates="round")

    @property
    def scoring_started(self) -> bool:
        """Council scoring has started: the round's criteria sets are locked."""
        return self.scoring_started_at is not None


class RoundCriteriaSet(Base):
    """The criteria set a round applies to one product group, pinned by its content hash."""

    __tablename__ = "round_criteria_set"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    product_group: Mapped[str] = mapped_column(String(40), primary_key=True)
    criteria_set_id: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="criteria_sets")


class RecognitionDecision(Base):
    """UBND's decision recognising a round's products (e.g. 5012/QĐ-UBND of 26/11/2021)."""

    __tablename__ = "recognition_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    number: Mapped[str] = mapped_column(String(60), unique=True)
    decided_on: Mapped[date] = mapped_column(Date)
    signed_by: Mapped[str | None] = mapped_column(String(200))
