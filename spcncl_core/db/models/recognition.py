"""Certificates (giấy chứng nhận) of recognised products: numbered, valid for the set's period, revocable."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spcncl_core.db.base import Base, UTCDateTime
from spcncl_core.db.models.dossiers import Dossier


class Certificate(Base):
    """A recognised product's certificate."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("recognition_decision.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship()
