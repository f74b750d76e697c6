"""The audit log: append-only, keyed and hash-chained, anchored outside the database, and tied to the records.

- Each entry's `before`/`after` is stored as canonical JSON text, and its hash is an HMAC-SHA256, with a secret kept
  outside the database (`audit_key`), over that text exactly as stored and the previous entry's hash: an entry
  edited, removed or moved, or a chain recomputed without the key, no longer verifies.
- Appends are serialised by a transaction-level lock on the chain head (PostgreSQL: an advisory lock; SQLite
  serialises writers itself), so concurrent writers wait for each other instead of failing.
- The head is re-read after a savepoint ends, so a rolled-back savepoint leaves no gap.
- After every commit that appended, the new head (seq, hash) is appended to a checkpoint file outside the database
  (`SPCNCL_AUDIT_CHECKPOINT`); `verify` checks the log still holds every checkpointed entry, so a truncated,
  emptied or rewritten log is detected. On PostgreSQL, triggers also refuse UPDATE, DELETE and TRUNCATE.
- `verify` also checks that the records themselves (dossier states, council scores, results, certificates) are what
  the log says they became.

Entries about a dossier use entity "dossier" and the dossier number; their `after` carries what changed under
these keys, which `verify` compares with the records (see RECORD_KEYS and docs/records.md):
  {"state": "eligible"}                                   the dossier's state
  {"member": "M01", "points": {"KT1": "7.5", …}}          every point on that member's form for the dossier
  {"result": {"total": "72.50", "passed": true, "position": 3, "top": true, "eligible": true}}
  {"certificate": {"number": …, "valid_from": …, "valid_until": …, "revoked": false}}
"""

from __future__ import annotations

import hmac
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _encode_text  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import event, func, or_, select, text
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.db.bulk import insert_stream
from spcncl_core.db.models import AuditEntry
from spcncl_core.errors import SpcnclError

GENESIS = "0" * 64
KEY_ENV = "SPCNCL_AUDIT_KEY"  # the secret itself
KEY_FILE_ENV = "SPCNCL_AUDIT_KEY_FILE"  # a file holding the secret (preferred: readable by the service only)
DEV_KEY_ENV = "SPCNCL_AUDIT_DEV_KEY"  # "1": the public development key, for the demo and tests only
CHECKPOINT_ENV = "SPCNCL_AUDIT_CHECKPOINT"  # a file outside the database where each committed head is appended
DEV_KEY = b"spcncl-development-audit-key: public, never for real records"
LOCK_KEY = 0x5C5C_A0D1  # pg_advisory_xact_lock key of the chain head
SCHEME = "v2"  # hashed into every entry: HMAC-SHA256 over canonical JSON text


class AuditKeyError(SpcnclError):
    """No usable audit key is configured (the log cannot be written or verified without it)."""


_warned_dev_key = False


def audit_key() -> bytes:
    """The secret the audit log is keyed with: $SPCNCL_AUDIT_KEY_FILE's content, else $SPCNCL_AUDIT_KEY; the public
    development key only when $SPCNCL_AUDIT_DEV_KEY=1 (said loudly on stderr). AuditKeyError otherwise."""
    global _warned_dev_key
    path = os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            secret = Path(path).read_bytes().strip()
        except OSError as exc:
            raise AuditKeyError(f"cannot read the audit key file {path} ({KEY_FILE_ENV}): {exc.strerror}") from None
        if len(secret) < 16:
            raise AuditKeyError(f"the audit key file {path} ({KEY_FILE_ENV}) holds fewer than 16 bytes; write a "
                                "long random secret into it (e.g. `python -c 'import secrets; "
                                "print(secrets.token_hex(32))'`)")
        return secret
    secret_text = os.environ.get(KEY_ENV)
    if secret_text:
        if len(secret_text) < 16:
            raise AuditKeyError(f"{KEY_ENV} is shorter than 16 characters; use a long random secret")
        return secret_text.encode("utf-8")
    if os.environ.get(DEV_KEY_ENV) == "1":
        if not _warned_dev_key:
            _warned_dev_key = True
            print(f"WARNING: the audit log is keyed with the PUBLIC DEVELOPMENT KEY ({DEV_KEY_ENV}=1): anyone can "
                  f"forge it. For demo and test databases only; set {KEY_FILE_ENV} for real records.",
                  file=sys.stderr)
        return DEV_KEY
    raise AuditKeyError(f"no audit key: set {KEY_FILE_ENV} to a file holding a long random secret (kept outside "
                        f"the database, readable by the service only) or {KEY_ENV}; for a demo or test database "
                        f"only, {DEV_KEY_ENV}=1 uses a public development key")


def use_dev_key_unless_configured(why: str) -> bool:
    """For the demo: use the development key when no key is configured, saying so. True if it is now in use."""
    if os.environ.get(KEY_FILE_ENV) or os.environ.get(KEY_ENV):
        return False
    os.environ[DEV_KEY_ENV] = "1"
    print(f"{why}: no audit key configured, using the public development key ({DEV_KEY_ENV}=1); "
          f"verify this database with {DEV_KEY_ENV}=1 spcncl audit verify", file=sys.stderr)
    return True


def _json_default(value: Any) -> Any:
    """How canonical JSON writes what JSON has no type for: Decimals as plain strings (never exponents), times in
    UTC and dates as ISO text, sets sorted."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return clock.as_utc(value).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON")


def canonical(value: Any) -> str | None:
    """The canonical JSON text of a value as the log stores it (None stays None): sorted keys, no spaces,
    UTF-8, Decimals and times as text. NaN and infinities are refused."""
    if value is None:
        return None
    try:
        return _CANONICAL.encode(value)
    except (TypeError, ValueError) as exc:
        raise SpcnclError(f"cannot write {value!r} to the audit log: {exc}") from None


# one encoder each, made once: json.dumps with these options would make a new one per call (a bulk operation
# writes hundreds of thousands of entries); the text is the same
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                              default=_json_default)
_PAYLOAD = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def entry_hash(key: bytes, seq: int, at: datetime | str, actor: str, action: str, entity: str, entity_id: str,
               before_text: str | None, after_text: str | None, reason: str | None, prev_hash: str) -> str:
    """HMAC-SHA256 (keyed with `key`) of an entry's stored content and the previous entry's hash."""
    when = at if isinstance(at, str) else clock.as_utc(at).isoformat(timespec="microseconds")
    payload = "[" + ",".join(map(_payload_value, (SCHEME, seq, when, actor, action, entity, entity_id, before_text,
                                                  after_text, reason, prev_hash))) + "]"
    return hmac.digest(key, payload.encode("utf-8"), "sha256").hex()


def _payload_value(value: Any) -> str:
    """One item of the hashed payload as `json.dumps([...], ensure_ascii=False, separators=(",", ":"))` writes it
    (text through the same C function json uses; anything unusual through the encoder itself)."""
    if type(value) is str:
        return _encode_text(value)  # type: ignore[no-any-return]
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    return _PAYLOAD.encode(value)


# ---- appending --------------------------------------------------------------------------------------------------

def _watch(session: Session) -> None:
    """Install, once per session, the listeners that keep the head cache honest and write checkpoints."""
    if session.info.get("audit_watched"):
        return
    session.info["audit_watched"] = True

    @event.listens_for(session, "after_transaction_end")
    def _forget_head(sess: Session, transaction: Any) -> None:
        # a savepoint or the transaction ended (committed or rolled back): read the head again next time.
        # A flush's internal subtransaction is neither, and keeps the head (one query per transaction, not entry)
        if transaction.nested or transaction.parent is None:
            sess.info.pop("audit_head", None)

    @event.listens_for(session, "before_commit")
    def _head_to_checkpoint(sess: Session) -> None:
        if sess.info.pop("audit_appended", False) and checkpoint_path() is not None:
            sess.flush()
            row = sess.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
                               .limit(1)).first()
            sess.info["audit_checkpoint"] = (row[0], row[1]) if row else None

    @event.listens_for(session, "after_commit")
    def _write_checkpoint(sess: Session) -> None:
        head = sess.info.pop("audit_checkpoint", None)
        path = checkpoint_path()
        if head is not None and path is not None:
            write_checkpoint(path, *head)

    @event.listens_for(session, "after_rollback")
    def _discard(sess: Session) -> None:
        sess.info.pop("audit_appended", None)
        sess.info.pop("audit_checkpoint", None)


def _head(session: Session) -> tuple[int, str]:
    """The chain's head (seq, hash), locked for the rest of the transaction."""
    head = session.info.get("audit_head")
    if head is None:
        _watch(session)
        if session.get_bind().dialect.name == "postgresql":
            # concurrent writers queue here until the holder commits; the lock ends with the transaction
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        row = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
                              .limit(1)).first()
        head = (row[0], row[1]) if row else (0, GENESIS)
    return head


class Change(NamedTuple):
    """One record's change, for `record_many`."""

    entity: str
    entity_id: object
    before: Any = None
    after: Any = None


def record(session: Session, actor: str, action: str, entity: str, entity_id: object, before: Any = None,
           after: Any = None, reason: str | None = None) -> AuditEntry:
    """Append an entry (who, what, on which record, the value before and after, why)."""
    key = audit_key()
    seq, prev = _head(session)
    seq += 1
    at = clock.now()
    before_text, after_text = canonical(before), canonical(after)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, entity=entity, entity_id=str(entity_id),
                       before_text=before_text, after_text=after_text, reason=reason, prev_hash=prev,
                       hash=entry_hash(key, seq, at, actor, action, entity, str(entity_id), before_text, after_text,
                                       reason, prev))
    session.add(entry)
    session.info["audit_head"] = (seq, entry.hash)
    session.info["audit_appended"] = True
    return entry


def record_many(session: Session, actor: str, action: str, changes: Iterable[Change | tuple[Any, ...]],
                reason: str | None = None) -> int:
    """Append one entry per changed record in one statement (bulk operations); returns how many."""
    audit_key()
    # the texts first: a value the log cannot hold is refused before anything is written
    return record_texts(session, actor, action, [(entity, str(entity_id), canonical(before), canonical(after))
                                                 for entity, entity_id, before, after in changes], reason)


def record_texts(session: Session, actor: str, action: str,
                 texts: Sequence[tuple[str, str, str | None, str | None]], reason: str | None = None) -> int:
    """`record_many` for changes whose before and after are given as their `canonical` texts already (entity,
    entity id, before text, after text): a bulk service can make them while the database is busy with its rows."""
    key = audit_key()
    if not texts:
        return 0
    seq, prev = _head(session)
    at = clock.now()
    when = at.isoformat(timespec="microseconds")
    session.flush()  # entries added one by one go first
    # entry_hash's payload, its parts that are the same for every entry written once: hundreds of thousands of
    # entries in a national round's score import
    mac = hmac.new(key, digestmod="sha256")
    start = f"[{_payload_value(SCHEME)},"
    common = "," + ",".join(map(_payload_value, (when, actor, action))) + ","
    why = "," + _payload_value(reason) + ","
    value = _payload_value

    def chained() -> Iterator[list[Any]]:
        # made while the database takes the rows before (PostgreSQL's COPY works on the other core meanwhile)
        nonlocal seq, prev
        for entity, entity_id, before_text, after_text in texts:
            seq += 1
            hashing = mac.copy()
            hashing.update(f"{start}{seq}{common}{value(entity)},{value(entity_id)},{value(before_text)},"
                           f"{value(after_text)}{why}{value(prev)}]".encode())
            digest = hashing.hexdigest()
            yield [seq, entity, entity_id, before_text, after_text, prev, digest]
            prev = digest

    insert_stream(session, AuditEntry.__table__, ("seq", "entity", "entity_id", "before", "after", "prev_hash",
                                                  "hash"), chained(),
                  constants={"at": at, "actor": actor, "action": action, "reason": reason})
    session.info["audit_head"] = (seq, prev)
    session.info["audit_appended"] = True
    return len(texts)


# ---- the anchor outside the database ----------------------------------------------------------------------------

def checkpoint_path() -> Path | None:
    """The checkpoint file ($SPCNCL_AUDIT_CHECKPOINT), or None when none is configured."""
    value = os.environ.get(CHECKPOINT_ENV)
    return Path(value) if value else None


def write_checkpoint(path: Path, seq: int, digest: str) -> None:
    """Append a committed head to the checkpoint file (one JSON line; concurrent writers append whole lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"seq": seq, "hash": digest, "at": clock.now().isoformat(timespec="seconds")}) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def read_checkpoints(path: Path) -> list[tuple[int, str]]:
    """Every head written to a checkpoint file (an absent file holds none)."""
    if not path.exists():
        return []
    heads = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                data = json.loads(line)
                heads.append((int(data["seq"]), str(data["hash"])))
            except (ValueError, KeyError, TypeError):
                raise SpcnclError(f"{path}, line {number}: not a checkpoint line") from None
    return heads


# ---- verifying --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditReport:
    """The outcome of `verify`: how many entries were checked, every break found, and what was not checked."""

    entries: int
    problems: tuple[str, ...]
    head: str = GENESIS  # the newest entry's hash
    checkpoints: int = 0  # heads checked against the checkpoint file
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """No entry edited, removed, reordered or forged, and every record as the log says."""
        return not self.problems


def verify(session: Session, checkpoint: Path | None = None, records: bool = True) -> AuditReport:
    """Recompute the keyed chain, compare it with the checkpoints outside the database, and (with `records`)
    compare the records with what the log says they became. Reports every problem found."""
    key = audit_key()
    checkpoint = checkpoint or checkpoint_path()
    problems: list[str] = []
    warnings: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    hashes: dict[int, str] = {}
    rows = session.execute(select(AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                                  AuditEntry.entity, AuditEntry.entity_id, AuditEntry.before_text,
                                  AuditEntry.after_text, AuditEntry.reason, AuditEntry.prev_hash, AuditEntry.hash)
                           .order_by(AuditEntry.seq)).all()
    tracker = _RecordTracker()
    for seq, at, actor, action, entity, entity_id, before_text, after_text, reason, prev_hash, digest in rows:
        count += 1
        if seq != expected_seq:
            problems.append(f"entries {expected_seq}–{seq - 1} are missing (deleted?)" if seq > expected_seq
                            else f"entry {seq} is out of order")
        if prev_hash != prev:
            problems.append(f"entry {seq}: does not follow the entry before it (a deleted, moved or replaced entry)")
        computed = entry_hash(key, seq, at, actor, action, entity, entity_id, before_text, after_text, reason,
                              prev_hash)
        if not hmac.compare_digest(computed, digest):
            problems.append(f"entry {seq} ({action} {entity} {entity_id}): content was edited after it was written "
                            "(or the entry was forged without the audit key)")
        hashes[seq] = digest
        if records:
            tracker.add(action, entity, entity_id, after_text)
        prev, expected_seq = digest, seq + 1
    checked = 0
    if checkpoint is None:
        warnings.append(f"no checkpoint file ({CHECKPOINT_ENV}): deleting the newest entries could not be detected")
    else:
        heads = read_checkpoints(checkpoint)
        checked = len(heads)
        last = max((s for s, _ in heads), default=0)
        if last > (max(hashes) if hashes else 0):
            problems.append(f"the log ends at entry {max(hashes) if hashes else 0} but the checkpoint file "
                            f"{checkpoint} records entry {last}: entries were deleted (a truncated or emptied log)")
        for seq, digest in heads:
            if seq in hashes and hashes[seq] != digest:
                problems.append(f"entry {seq} is not the one checkpointed in {checkpoint}: the log was rewritten "
                                "from there on")
    if records:
        problems += tracker.compare(session)
    return AuditReport(count, tuple(problems), prev, checked, tuple(warnings))


class _RecordTracker:
    """What the log says each tracked record became, to compare with the records themselves."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}
        self.points: dict[tuple[str, str], dict[str, str]] = {}
        self.result: dict[str, Any] = {}
        self.certificate: dict[str, Any] = {}

    def add(self, action: str, entity: str, entity_id: str, after_text: str | None) -> None:
        if entity != "dossier" or after_text is None:
            return
        after = json.loads(after_text)
        if not isinstance(after, dict):
            if action == "dossier.state" and isinstance(after, str):
                self.state[entity_id] = after
            return
        if "state" in after:
            self.state[entity_id] = after["state"]
        if "member" in after and "points" in after:
            self.points[(entity_id, after["member"])] = after["points"]
        if "result" in after:
            self.result[entity_id] = after["result"]
        if "certificate" in after:
            self.certificate[entity_id] = after["certificate"]

    def compare(self, session: Session) -> list[str]:
        from spcncl_core.db.models import Certificate, CouncilMember, Dossier, Result, ScoringEntry, ScoringForm

        problems: list[str] = []
        for number, state in session.execute(select(Dossier.number, Dossier.state).order_by(Dossier.number)):
            logged = self.state.get(number)
            if logged != state:
                problems.append(f"dossier {number}: its state is {state}, the audit log says "
                                f"{logged or 'nothing'} (changed outside the services?)")
        stored: dict[tuple[str, str], dict[str, Decimal]] = {}
        for number, member, criterion, points in session.execute(
                select(Dossier.number, CouncilMember.code, ScoringEntry.criterion_id, ScoringEntry.points)
                .join(ScoringForm, ScoringForm.dossier_id == Dossier.id)
                .join(CouncilMember, CouncilMember.id == ScoringForm.member_id)
                .join(ScoringEntry, ScoringEntry.form_id == ScoringForm.id)):
            stored.setdefault((number, member), {})[criterion] = points
        for key in sorted(set(stored) | set(self.points)):
            logged_points = {c: Decimal(str(p)) for c, p in (self.points.get(key) or {}).items()}
            if stored.get(key, {}) != logged_points:
                problems.append(f"dossier {key[0]}: member {key[1]}'s points are {_points(stored.get(key, {}))}, "
                                f"the audit log says {_points(logged_points)}")
        results = {number: result_json(r) for number, r in session.execute(
            select(Dossier.number, Result).join(Result, Result.dossier_id == Dossier.id))}
        for number in sorted(set(results) | {n for n, r in self.result.items() if r is not None}):
            if results.get(number) != self.result.get(number):
                problems.append(f"dossier {number}: its result is {results.get(number)}, the audit log says "
                                f"{self.result.get(number)}")
        certificates = {number: certificate_json(c) for number, c in session.execute(
            select(Dossier.number, Certificate).join(Certificate, Certificate.dossier_id == Dossier.id))}
        for number in sorted(set(certificates) | {n for n, c in self.certificate.items() if c is not None}):
            if certificates.get(number) != self.certificate.get(number):
                problems.append(f"dossier {number}: its certificate is {certificates.get(number)}, the audit log "
                                f"says {self.certificate.get(number)}")
        return problems


def _points(points: dict[str, Decimal]) -> str:
    return "{" + ", ".join(f"{c}: {format(p.normalize(), 'f')}" for c, p in sorted(points.items())) + "}"


def decimal_text(value: Any) -> str | None:
    """A number as the log records it for comparison: plain digits, no trailing zeros (70.00 → "70")."""
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def result_json(result: Any) -> dict[str, Any]:
    """What the log records of a result (the `result` key of an entry's `after`)."""
    logged = {"total": decimal_text(result.total), "passed": bool(result.passed), "position": result.position,
              "top": bool(result.top), "eligible": bool(result.eligible)}
    if getattr(result, "result_class", None) is not None:  # sets with result classes only
        logged["class"] = result.result_class
    return logged


def certificate_json(certificate: Any) -> dict[str, Any]:
    """What the log records of a certificate (the `certificate` key of an entry's `after`)."""
    return {"number": certificate.number, "valid_from": certificate.valid_from.isoformat(),
            "valid_until": certificate.valid_until.isoformat(), "revoked": certificate.revoked_at is not None}


# ---- reading ----------------------------------------------------------------------------------------------------

def entries_for(session: Session, entity: str, entity_id: object) -> list[AuditEntry]:
    """The history of one record, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == entity,
                                                         AuditEntry.entity_id == str(entity_id))
                                .order_by(AuditEntry.seq)))


def dossier_history(session: Session, number: str) -> list[AuditEntry]:
    """Everything the log holds about one dossier, oldest first: its own entries and those of its comments."""
    from spcncl_core.db.models import Comment, Dossier

    comment_ids = [str(c) for c in session.scalars(select(Comment.id).join(Dossier, Dossier.id == Comment.dossier_id)
                                                   .where(Dossier.number == number))]
    condition = (AuditEntry.entity == "dossier") & (AuditEntry.entity_id == number)
    if comment_ids:
        condition = or_(condition, (AuditEntry.entity == "comment") & AuditEntry.entity_id.in_(comment_ids))
    return list(session.scalars(select(AuditEntry).where(condition).order_by(AuditEntry.seq)))


def count(session: Session) -> int:
    """Number of entries."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def entries_json(entries: Sequence[AuditEntry], jurisdiction: str | None = None) -> list[dict[str, Any]]:
    """Entries as plain data (times in UTC, ISO 8601)."""
    return [{"seq": e.seq, "at": clock.as_utc(e.at).isoformat(), "actor": e.actor, "action": e.action,
             "entity": e.entity, "entity_id": e.entity_id, "before": e.before, "after": e.after,
             "reason": e.reason} for e in entries]
