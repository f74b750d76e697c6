"""Words shown for the records' codes (states, product groups, roles), in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from spcncl_core.errors import (
    DuplicateError,
    IllegalTransitionError,
    NotFoundError,
    PermissionDeniedError,
    PhaseError,
    ProblemsError,
    SpcnclError,
    StaleEditError,
)

STATES = {
    "draft": _l("Draft"), "submitted": _l("Submitted"), "eligible": _l("Eligible"), "ineligible": _l("Ineligible"),
    "preliminarily_scored": _l("Preliminarily scored"), "council_scored": _l("Scored by the council"),
    "published": _l("Published"), "recognised": _l("Recognised"), "not_recognised": _l("Not recognised"),
    "expired": _l("Expired"), "revoked": _l("Revoked"),
}
GROUPS = {"standard": _l("Standard"), "high-tech": _l("High-tech")}
ROLES = {"admin": _l("Administrator"), "secretariat": _l("Working group"), "council": _l("Council member"),
         "viewer": _l("Viewer")}
PHASES = {"registration": _l("Registration"), "screening": _l("Screening"), "scoring": _l("Council scoring"),
          "results": _l("Results"), "publication": _l("Publication and comments"), "decision": _l("Decision"),
          "closed": _l("Closed")}
PROVENANCE = {"official": _l("official"), "reconstruction": _l("reconstruction (not the official table)")}


def state_label(state: str | None) -> str:
    """A dossier state in words."""
    return str(STATES.get(state or "", state or ""))


def group_label(group: str | None) -> str:
    """A product group in words."""
    return str(GROUPS.get(group or "", group or ""))


def role_label(role: str | None) -> str:
    """A user role in words."""
    return str(ROLES.get(role or "", role or ""))


def phase_label(phase: str | None) -> str:
    """A round's phase in words."""
    return str(PHASES.get(phase or "", phase or ""))


DIFF = {"setting": _l("setting"), "input": _l("input"), "derived": _l("derived indicator"),
        "prerequisite": _l("prerequisite"), "group": _l("group"), "criterion": _l("criterion"),
        "added": _l("added"), "removed": _l("removed"), "changed": _l("changed")}
# most specific first: PhaseError is a LockedError
REFUSALS = ((PermissionDeniedError, _l("Not allowed")), (PhaseError, _l("Not in this phase of the round")),
            (StaleEditError, _l("Changed by someone else meanwhile")), (NotFoundError, _l("Not found")),
            (DuplicateError, _l("Exists already")), (IllegalTransitionError, _l("Not possible in this state")),
            (ProblemsError, _l("Invalid data")), (SpcnclError, _l("Refused")))


def diff_label(word: str | None) -> str:
    """A word of a criteria-set diff (what changed, how) in words."""
    return str(DIFF.get(word or "", word or ""))


def refusal_lead(exc: Exception) -> str:
    """A short lead for a service's refusal, in the page's language (the service's message follows it)."""
    return str(next((lead for kind, lead in REFUSALS if isinstance(exc, kind)), _l("Refused")))
