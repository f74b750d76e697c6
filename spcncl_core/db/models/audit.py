"""The audit log: append-only, hash-chained entries of every change to the records of a programme."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from spcncl_core.db.base import Base, UTCDateTime


class AuditEntry(Base):
    """Who did what, when, with the value before and after; `hash` chains each entry to the previous one.

    `before` and `after` are stored as canonical JSON text (sorted keys, no spaces, Decimals as strings), and the
    hash is computed over that text exactly as stored: the same on SQLite and PostgreSQL.
    """

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(120))
    before_text: Mapped[str | None] = mapped_column("before", Text, nullable=True)
    after_text: Mapped[str | None] = mapped_column("after", Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(2000))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # no unique index: the chain, not the index, guards it

    @property
    def before(self) -> Any:
        """The value before the change (parsed from its stored JSON text)."""
        return None if self.before_text is None else json.loads(self.before_text)

    @property
    def after(self) -> Any:
        """The value after the change (parsed from its stored JSON text)."""
        return None if self.after_text is None else json.loads(self.after_text)
