"""The audit log: append-only, hash-chained entries of every change to scores, decisions, criteria-set choices
and overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from spcncl_core.db.base import Base, JSONData


class AuditEntry(Base):
    """Who did what, when, with the value before and after; `hash` chains each entry to the previous one."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(120))
    before: Mapped[Any] = mapped_column(JSONData, nullable=True)
    after: Mapped[Any] = mapped_column(JSONData, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(2000))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
