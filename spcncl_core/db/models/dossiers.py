"""Dossiers (hồ sơ), their prerequisite checks, preliminary scores and results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spcncl_core.db.base import Base, ExactDecimal, JSONData, UTCDateTime, utcnow

if TYPE_CHECKING:
    from spcncl_core.db.models.enterprises import Product
    from spcncl_core.db.models.programme import Round


class Dossier(Base):
    """One product's registration in a round: inputs, self-assessment and where it is in the workflow."""

    __tablename__ = "dossier"
    # the back office's filters (round, state, then product) and its "submitted on" sort (migration 0006)
    __table_args__ = (UniqueConstraint("round_id", "product_id"), UniqueConstraint("round_id", "number"),
                      Index("ix_dossier_round_state_product", "round_id", "state", "product_id"),
                      Index("ix_dossier_submitted_at", "submitted_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    product_group: Mapped[str | None] = mapped_column(String(40))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)
    self_assessment: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    round: Mapped[Round] = relationship(back_populates="dossiers")
    product: Mapped[Product] = relationship()
    checks: Mapped[list[PrerequisiteCheck]] = relationship(back_populates="dossier", cascade="all, delete-orphan",
                                                           order_by="PrerequisiteCheck.prerequisite_id")
    preliminary: Mapped[list[PreliminaryScore]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class PrerequisiteCheck(Base):
    """A prerequisite as computed from the inputs, and the secretariat's override with its written reason."""

    __tablename__ = "prerequisite_check"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), primary_key=True)
    prerequisite_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    computed: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text)
    override: Mapped[bool | None] = mapped_column(Boolean)
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by: Mapped[str | None] = mapped_column(String(80))

    dossier: Mapped[Dossier] = relationship(back_populates="checks")

    @property
    def passed(self) -> bool:
        """The override when there is one, else the computed result."""
        return self.computed if self.override is None else self.override


class PreliminaryScore(Base):
    """The working group's computed points for a criterion (shown to council members)."""

    __tablename__ = "preliminary_score"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    points: Mapped[Decimal] = mapped_column(ExactDecimal)
    explanation: Mapped[str] = mapped_column(Text)


class Result(Base):
    """A dossier's aggregated result, with the exact criteria-set content that produced it."""

    __tablename__ = "result"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), primary_key=True)
    criteria_set_id: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    eligible: Mapped[bool] = mapped_column(Boolean)
    total: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    passed: Mapped[bool] = mapped_column(Boolean)
    result_class: Mapped[str | None] = mapped_column(String(40))  # the class reached, for sets with classes
    position: Mapped[int | None] = mapped_column(Integer)
    top: Mapped[bool] = mapped_column(Boolean, default=False)
    tie_break: Mapped[str | None] = mapped_column(Text)
    subtotals: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)
    criteria: Mapped[list[Any]] = mapped_column(JSONData, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dossier: Mapped[Dossier] = relationship()


class DossierDocument(Base):
    """A document received with a dossier (đơn đăng ký, báo cáo tài chính, chứng nhận…): its kind from the
    jurisdiction's checklist (services/documents.py), a title or note, the day it was received and who recorded it.
    A kind may be received several times (three years of financial statements, several certificates)."""

    __tablename__ = "dossier_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(300))
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dossier: Mapped[Dossier] = relationship()
