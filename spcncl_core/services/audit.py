"""The audit log: append-only and hash-chained, so that an edited or deleted entry is detected by `verify`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spcncl_core.db.base import utcnow
from spcncl_core.db.models import AuditEntry

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """JSON-ready copy: Decimals as strings, dates as ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def entry_hash(seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: str, before: Any,
               after: Any, reason: str | None, prev_hash: str) -> str:
    """The SHA-256 of an entry's content and the previous entry's hash."""
    payload = json.dumps([seq, at.isoformat(timespec="microseconds"), actor, action, entity, entity_id, before,
                          after, reason, prev_hash], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(session: Session, actor: str, action: str, entity: str, entity_id: object, before: Any = None,
           after: Any = None, reason: str | None = None) -> AuditEntry:
    """Append an entry (who, what, on which record, the value before and after, why)."""
    # the chain's head is read once per transaction; a concurrent writer then fails on the unique seq, not silently
    transaction = session.get_transaction()
    head = session.info.get("audit_head")
    if head is None or head[0] is not transaction:
        last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
                               .limit(1)).first()
        head = (transaction, *(last if last else (0, GENESIS)))
    seq, prev = head[1] + 1, head[2]
    at = utcnow()
    before, after = _plain(before), _plain(after)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, entity=entity, entity_id=str(entity_id),
                       before=before, after=after, reason=reason, prev_hash=prev,
                       hash=entry_hash(seq, at, actor, action, entity, str(entity_id), before, after, reason, prev))
    session.add(entry)
    session.info["audit_head"] = (transaction, seq, entry.hash)
    return entry


@dataclass(frozen=True)
class AuditReport:
    """The outcome of `verify`: how many entries were checked and every break found."""

    entries: int
    problems: tuple[str, ...]
    head: str = GENESIS  # the newest entry's hash: keep a copy elsewhere to detect a truncated log

    @property
    def ok(self) -> bool:
        """No entry edited, removed or out of order."""
        return not self.problems


def verify(session: Session) -> AuditReport:
    """Recompute the chain: report every entry whose content no longer matches its hash, and every gap."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}–{entry.seq - 1} are missing (deleted?)")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq}: does not follow the entry before it (a deleted or replaced entry)")
        computed = entry_hash(entry.seq, entry.at, entry.actor, entry.action, entry.entity, entry.entity_id,
                              entry.before, entry.after, entry.reason, entry.prev_hash)
        if computed != entry.hash:
            problems.append(f"entry {entry.seq} ({entry.action} {entry.entity} {entry.entity_id}): content was "
                            "edited after it was written")
        prev, expected_seq = entry.hash, entry.seq + 1
    return AuditReport(count, tuple(problems), prev)


def entries_for(session: Session, entity: str, entity_id: object) -> list[AuditEntry]:
    """The history of one record, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == entity,
                                                         AuditEntry.entity_id == str(entity_id))
                                .order_by(AuditEntry.seq)))


def count(session: Session) -> int:
    """Number of entries."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0
