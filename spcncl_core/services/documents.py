"""The documents received with a dossier (DOMAIN.md §1, step 2): the jurisdiction's checklist of kinds, recording a
document received and striking out one recorded by mistake — checked through the policy, audited on the dossier.

The checklist comes from `spcncl_core/document_kinds.yaml` (a default list, and a jurisdiction's own list under
`jurisdictions:`), or from the file named by $SPCNCL_DOCUMENT_KINDS, which replaces it (docs/records.md).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.db.models import Dossier, DossierDocument, User
from spcncl_core.errors import NotFoundError, RecordError, SettingsError
from spcncl_core.services import audit, checks
from spcncl_core.services.policy import actor_name, require

KINDS_ENV = "SPCNCL_DOCUMENT_KINDS"
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document of the checklist: its code, its names, and whether every dossier must hold it."""

    kind: str
    vi: str
    en: str
    required: bool = True

    def label(self, lang: str = "vi") -> str:
        """Its name in `lang` (Vietnamese when there is none in that language)."""
        return (self.en if lang == "en" else self.vi) or self.vi


@dataclass
class ChecklistLine:
    """One kind of the checklist for one dossier, with the documents of that kind received (oldest first)."""

    kind: DocumentKind
    documents: list[DossierDocument] = field(default_factory=list)

    @property
    def received(self) -> bool:
        """Whether at least one document of this kind was received."""
        return bool(self.documents)


def _kinds_list(entries: Any, where: str) -> tuple[DocumentKind, ...]:
    if not isinstance(entries, list) or not entries:
        raise SettingsError(f"{where}: expected a non-empty list of document kinds")
    kinds: list[DocumentKind] = []
    for n, entry in enumerate(entries):
        at = f"{where}[{n}]"
        if not isinstance(entry, dict):
            raise SettingsError(f"{at}: expected a mapping with kind, vi, en (and required)")
        unknown = sorted(set(entry) - {"kind", "vi", "en", "required"})
        if unknown:
            raise SettingsError(f"{at}: unknown key {', '.join(map(str, unknown))}; keys: kind, vi, en, required")
        code, vi, en = entry.get("kind"), entry.get("vi"), entry.get("en", "")
        if not isinstance(code, str) or not KIND_PATTERN.fullmatch(code):
            raise SettingsError(f"{at}.kind: {code!r} is not a code (lower case letters, digits and _, at most 40 "
                                "characters, starting with a letter)")
        if not isinstance(vi, str) or not vi.strip():
            raise SettingsError(f"{at}.vi: the Vietnamese name of {code} is required")
        if not isinstance(en, str):
            raise SettingsError(f"{at}.en: the English name of {code} must be text")
        required = entry.get("required", True)
        if not isinstance(required, bool):
            raise SettingsError(f"{at}.required: true or false, not {required!r}")
        if any(k.kind == code for k in kinds):
            raise SettingsError(f"{at}.kind: {code} is listed twice")
        kinds.append(DocumentKind(code, vi.strip(), en.strip(), required))
    return tuple(kinds)


@lru_cache(maxsize=8)
def _load(source: str) -> dict[str, tuple[DocumentKind, ...]]:
    if source == "":
        text = (files("spcncl_core") / "document_kinds.yaml").read_text(encoding="utf-8")
        name = "spcncl_core/document_kinds.yaml"
    else:
        name = source
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"cannot read the document checklist {source} ({KINDS_ENV}): "
                                f"{exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{name}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or "default" not in data:
        raise SettingsError(f"{name}: expected a mapping with `default:` (a list of kinds) and optionally "
                            "`jurisdictions:`")
    unknown = sorted(set(data) - {"default", "jurisdictions"})
    if unknown:
        raise SettingsError(f"{name}: unknown key {', '.join(map(str, unknown))}; keys: default, jurisdictions")
    lists = {"": _kinds_list(data["default"], f"{name}: default")}
    own = data.get("jurisdictions") or {}
    if not isinstance(own, dict):
        raise SettingsError(f"{name}: jurisdictions: expected a mapping of jurisdiction id → list of kinds")
    for jurisdiction, entries in own.items():
        lists[str(jurisdiction)] = _kinds_list(entries, f"{name}: jurisdictions.{jurisdiction}")
    return lists


def document_kinds(jurisdiction: str) -> tuple[DocumentKind, ...]:
    """The checklist of `jurisdiction`: its own list when the checklist file gives one, else the default list.
    SettingsError when the file is unreadable or malformed."""
    lists = _load(os.environ.get(KINDS_ENV, ""))
    return lists.get(jurisdiction) or lists[""]


def every_kind() -> list[DocumentKind]:
    """Every kind of every checklist, the default list first (to name a kind met in the audit log)."""
    lists = _load(os.environ.get(KINDS_ENV, ""))
    return [k for name in sorted(lists, key=lambda n: n != "") for k in lists[name]]


def kind_of(jurisdiction: str, kind: Any) -> DocumentKind:
    """The kind `kind` of the jurisdiction's checklist; RecordError naming the known kinds otherwise."""
    for known in document_kinds(jurisdiction):
        if known.kind == kind:
            return known
    names = ", ".join(k.kind for k in document_kinds(jurisdiction))
    raise RecordError(f"{kind!r} is not a kind of document of the {jurisdiction} checklist; kinds: {names}")


def documents_of(session: Session, dossier: Dossier) -> list[DossierDocument]:
    """The documents recorded for a dossier, in the order they were received."""
    return list(session.scalars(select(DossierDocument).where(DossierDocument.dossier_id == dossier.id)
                                .order_by(DossierDocument.received_on, DossierDocument.id)))


def checklist(session: Session, dossier: Dossier) -> list[ChecklistLine]:
    """The dossier's checklist: one line per kind of its jurisdiction, with the documents received of that kind.
    Documents of a kind the checklist no longer lists (it was changed) come last, each under its own code."""
    lines = {k.kind: ChecklistLine(k) for k in document_kinds(dossier.round.jurisdiction_id)}
    for document in documents_of(session, dossier):
        line = lines.get(document.kind)
        if line is None:
            line = lines[document.kind] = ChecklistLine(DocumentKind(document.kind, document.kind, document.kind,
                                                                     False))
        line.documents.append(document)
    return list(lines.values())


def _logged(document: DossierDocument) -> dict[str, Any]:
    return {"document": {"id": document.id, "kind": document.kind, "title": document.title,
                         "received_on": document.received_on.isoformat()}}


def record_document(session: Session, actor: User, dossier: Dossier, kind: str, received_on: date,
                    title: str | None = None) -> DossierDocument:
    """Record a document received with `dossier`: a kind of its jurisdiction's checklist, the day it was received
    (not after today) and a title or note; one audit entry on the dossier."""
    require(session, actor, "document.record", dossier.round)
    jurisdiction = dossier.round.jurisdiction_id
    kind_of(jurisdiction, kind)
    received_on = checks.day(received_on, "the day the document was received")
    today = clock.today(jurisdiction)
    if received_on > today:
        raise RecordError(f"the day the document was received ({received_on.isoformat()}) is after today "
                          f"({today.isoformat()})")
    title = checks.text(title, DossierDocument.title, "the document's title or note", required=False)
    document = DossierDocument(dossier_id=dossier.id, kind=kind, title=title, received_on=received_on,
                               recorded_by=actor_name(actor), recorded_at=clock.now())
    session.add(document)
    checks.flush(session, f"recording a document of dossier {dossier.number}")
    audit.record(session, actor_name(actor), "document.recorded", "dossier", dossier.number,
                 after=_logged(document))
    return document


def get_document(session: Session, dossier: Dossier, document_id: Any) -> DossierDocument:
    """The document `document_id` recorded for `dossier`; NotFoundError otherwise."""
    document = session.get(DossierDocument, document_id) if isinstance(document_id, int) else None
    if document is None or document.dossier_id != dossier.id:
        raise NotFoundError(f"dossier {dossier.number} has no recorded document {document_id}")
    return document


def unrecord_document(session: Session, actor: User, document: DossierDocument, reason: str | None = None) -> None:
    """Strike out a document recorded by mistake (the record goes; the audit entry keeps what it was and why)."""
    if not isinstance(document, DossierDocument):
        raise RecordError(f"expected a recorded document, not {type(document).__name__}")
    dossier = document.dossier
    require(session, actor, "document.unrecord", dossier.round)
    reason = checks.reason(reason, "reason", required=False)
    before = _logged(document)
    session.delete(document)
    checks.flush(session, f"striking out a document of dossier {dossier.number}")
    audit.record(session, actor_name(actor), "document.unrecorded", "dossier", dossier.number, before=before,
                 reason=reason)
