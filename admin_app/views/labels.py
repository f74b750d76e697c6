"""Words shown for the records' codes (states, product groups, roles), in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
