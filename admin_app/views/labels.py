"""Words shown for the records' codes (states, product groups, roles), in the page's language."""

from __future__ import annotations

import re
from decimal import Decimal
from importlib.resources import files
from typing import Any

import yaml
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

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
from spcncl_core.services.policy import PHASES as PHASE_ORDER
from spcncl_core.services.policy import Verdict

from .. import texts_vi

_DECIMAL = re.compile(r"-?\d+\.\d+")

STATES = {
    "draft": _l("Draft"), "submitted": _l("Submitted"), "eligible": _l("Eligible"), "ineligible": _l("Ineligible"),
    "preliminarily_scored": _l("Preliminarily scored"), "council_scored": _l("Scored by the council"),
    "published": _l("Published"), "recognised": _l("Recognised"), "not_recognised": _l("Not recognised"),
    "expired": _l("Expired"), "revoked": _l("Revoked"),
}
GROUPS = {"standard": _l("Standard"), "high-tech": _l("High-tech")}
ROLES = {"admin": _l("Administrator"), "secretariat": _l("Working group"), "council": _l("Council member"),
         "viewer": _l("Viewer"), "public": _l("the public (not signed in)")}
PHASES = {"registration": _l("Registration"), "screening": _l("Screening"), "scoring": _l("Council scoring"),
          "results": _l("Results"), "publication": _l("Publication and comments"), "decision": _l("Decision"),
          "closed": _l("Closed")}
# the policy's actions (spcncl_core.services.policy.POLICY), named for a refusal; a test checks every action has one
ACTIONS = {
    "user.create": _l("create a back-office user"),
    "user.update": _l("change a user's name, role, active flag or password"),
    "user.change_own_password": _l("change one's own password"),
    "enterprise.save": _l("create or change an enterprise"),
    "product.save": _l("create or change a product"),
    "round.create": _l("create a round"),
    "round.choose_criteria_set": _l("switch the criteria set of a product group"),
    "round.open_screening": _l("close registration, open screening"),
    "dossier.register": _l("register a product's dossier"),
    "dossier.update": _l("edit a draft dossier"),
    "dossier.submit": _l("submit a draft dossier"),
    "dossier.return_to_draft": _l("return a submitted dossier to draft"),
    "document.record": _l("record a document received with a dossier"),
    "document.unrecord": _l("strike out a document recorded by mistake"),
    "dossier.screen": _l("check a dossier's prerequisites"),
    "prerequisite.override": _l("override a prerequisite with a written reason"),
    "dossier.preliminary_score": _l("compute a dossier's preliminary scores"),
    "council.add_member": _l("add a council member"),
    "council.assign": _l("assign criteria to a council member"),
    "council.unassign": _l("take criteria not yet scored away from a council member"),
    "council.declare_conflict": _l("declare a member's conflict with a dossier"),
    "round.start_scoring": _l("open council scoring (locks the criteria sets)"),
    "form.open": _l("open one's own scoring form"),
    "form.save": _l("save points on one's own scoring form"),
    "form.submit": _l("submit one's own scoring form"),
    "scores.import": _l("import members' submitted forms on their behalf"),
    "round.close_scoring": _l("close council scoring"),
    "results.compute": _l("compute results, ranking and Top N"),
    "results.publish": _l("publish results and open the comment window"),
    "comment.submit": _l("comment on published results"),
    "comment.request_explanation": _l("ask the enterprise to explain"),
    "comment.record_explanation": _l("record the enterprise's explanation"),
    "comment.resolve": _l("resolve a comment"),
    "round.reopen_scoring": _l("send dossiers back to the council for re-scoring"),
    "round.close_comments": _l("close the comment window once it has ended"),
    "recognition.decide": _l("record the recognition decision"),
    "certificate.expire": _l("mark run-out certificates expired"),
    "certificate.revoke": _l("revoke a certificate"),
}
# what must happen for a round to reach each phase (the policy's PHASE_ENTRY, in words for officials)
PHASE_ENTRY = {
    "registration": _l("the round is created in it"),
    "screening": _l("registration is closed"),
    "scoring": _l("every submitted dossier is screened and preliminarily scored, then council scoring is opened"),
    "results": _l("council scoring is closed: every eligible dossier needs a submitted scoring form for each of its "
                  "criteria"),
    "publication": _l("results are computed and published"),
    "decision": _l("the comment window has ended and comments are closed"),
    "closed": _l("the recognition decision is recorded"),
}
# the audit log's actions (past tense: what happened), for the dossier's history and the audit screen
AUDIT = {
    "certificate.issued": _l("certificate issued"), "certificate.revoked": _l("certificate revoked"),
    "comment.received": _l("comment received"), "comment.explanation_requested": _l("explanation requested"),
    "comment.explained": _l("explanation recorded"), "comment.resolved": _l("comment resolved"),
    "council.member_added": _l("council member added"), "council.assigned": _l("criteria assigned"),
    "council.unassigned": _l("criteria taken away"),
    "council.conflict_declared": _l("conflict of interest declared"),
    "dossier.registered": _l("dossier registered"), "dossier.updated": _l("dossier edited"),
    "dossier.state": _l("state changed"), "document.recorded": _l("document received"),
    "document.unrecorded": _l("document struck out"), "enterprise.created": _l("enterprise created"),
    "enterprise.updated": _l("enterprise changed"), "product.created": _l("product created"),
    "product.updated": _l("product changed"), "form.opened": _l("scoring form opened"),
    "form.reopened": _l("scoring form reopened"), "form.submitted": _l("scoring form submitted"),
    "score.saved": _l("points saved"), "prerequisite.overridden": _l("prerequisite overridden"),
    "recognition.decided": _l("recognition decided"), "result.computed": _l("result computed"),
    "results.computed": _l("results computed"), "results.published": _l("results published"),
    "round.created": _l("round created"), "round.criteria_set_chosen": _l("criteria set switched"),
    "round.phase": _l("phase changed"), "user.created": _l("user created"), "user.updated": _l("user changed"),
    "user.password_changed": _l("password changed"),
}
COMMENT_STATES = {"open": _l("open"), "explanation_requested": _l("explanation requested"),
                  "resolved": _l("resolved")}
RESOLUTIONS = {"kept": _l("result kept"), "rescored": _l("sent back for re-scoring"),
               "excluded": _l("excluded")}
PROVENANCE = {"official": _l("official"), "reconstruction": _l("reconstruction (not the official table)")}


def state_label(state: str | None) -> str:
    """A dossier state in words."""
    return str(STATES.get(state or "", state or ""))


def _vietnamese() -> bool:
    return str(get_locale() or "vi") == "vi"


def group_label(group: str | None) -> str:
    """A product group in words (the example plugins' groups too, in Vietnamese)."""
    if group in GROUPS:
        return str(GROUPS[group])
    return texts_vi.GROUPS.get(group or "", group or "") if _vietnamese() else group or ""


def member_role_label(role: str | None) -> str:
    """A council member's role (chair, vice_chair, secretary, member) in words."""
    return texts_vi.MEMBER_ROLES.get(role or "", role or "") if _vietnamese() else (role or "").replace("_", " ")


def actor_label(actor: str | None) -> str:
    """Who wrote an audit entry: a user name as it is; `public` (a visitor's comment) in words."""
    return role_label(actor) if actor == "public" else actor or ""


def entity_label(entity: str | None) -> str:
    """The kind of record an audit entry is about, in words."""
    return texts_vi.ENTITIES.get(entity or "", entity or "") if _vietnamese() else (entity or "").replace("_", " ")


def plugin_origin(origin: str | None) -> Markup:
    """Where a plugin comes from ("built in (spcncl_core.builtins)", "entry point x (dist 1.0)") in words, the
    module and package names as code."""
    text = str(escape(origin or ""))
    if _vietnamese():
        text = texts_vi.apply(texts_vi.ORIGINS, text)
    return Markup(re.sub(r"\b([a-z]\w*(?:[._-]\w+)+)(?: (\d[\w.]*))?", lambda m: f"<code>{m.group(0)}</code>", text))


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


def diff_field(field: str | None) -> str:
    """The field of a criteria-set diff that changed, in words."""
    return texts_vi.DIFF_FIELDS.get(field or "", field or "") if _vietnamese() else field or ""


def diff_value(field: str | None, value: str | None) -> str:
    """A value of a criteria-set diff in the page's language (labels in Vietnamese, rules said the Vietnamese way)."""
    if not _vietnamese():
        return value or ""
    from flask import current_app

    from ..i18n import fmt_engine, words_of

    return texts_vi.diff_value(field or "", value, engine_text=fmt_engine, group=group_label,
                               provenance=lambda p: str(PROVENANCE.get(p, p)),
                               options=words_of(current_app.extensions.get("spcncl_catalog"))[1])


def _option_words() -> dict[str, dict[str, str]]:
    global _OPTION_WORDS
    if _OPTION_WORDS is None:
        with (files("spcncl_admin") / "option_labels.yaml").open("rb") as handle:
            _OPTION_WORDS = yaml.safe_load(handle) or {}
    return _OPTION_WORDS


_OPTION_WORDS: dict[str, dict[str, str]] | None = None


def option_label(spec: Any, code: Any) -> str:
    """An option of a choice or set input in words: the criteria set's own label when it has one, else our
    table (option_labels.yaml), else the code itself."""
    lang = str(get_locale() or "vi")
    own = (getattr(spec, "option_labels", None) or {}).get(code) if spec is not None else None
    words = own or _option_words().get(str(code)) or {}
    return str(words.get(lang) or words.get("vi") or code)


def audit_label(action: str | None) -> str:
    """An audit log action in words."""
    return str(AUDIT.get(action or "", action or ""))


def comment_state_label(state: str | None, resolution: str | None = None) -> str:
    """A comment's state, with its resolution when resolved."""
    text = str(COMMENT_STATES.get(state or "", state or ""))
    return f"{text}: {RESOLUTIONS.get(resolution, resolution)}" if resolution else text


def document_kind_label(kind: str | None) -> str:
    """A kind of document received in words: its name in the checklist that lists it (the default list first,
    then each jurisdiction's own), else the code itself."""
    from spcncl_core.errors import SpcnclError
    from spcncl_core.services.documents import every_kind

    lang = str(get_locale() or "vi")
    try:
        found = next((k for k in every_kind() if k.kind == kind), None)
    except SpcnclError:
        found = None
    return found.label(lang) if found else str(kind or "")


def _document_words(value: dict[str, Any]) -> str:
    from datetime import date

    from ..i18n import fmt_date

    words = [document_kind_label(value.get("kind"))]
    if value.get("title"):
        words.append(f"“{value['title']}”")
    try:
        words.append(str(_l("received on %(day)s", day=fmt_date(date.fromisoformat(value["received_on"])))))
    except (KeyError, TypeError, ValueError):
        pass
    return ", ".join(words)


def audit_value(value: Any, action: str | None = None) -> Any:
    """An audit entry's before/after value with its codes in words (states, phases; on a Vietnamese page its keys,
    yes/no and decimals too), for fmt_brief. `action` is the entry's: a phase change's values are bare phases."""
    if action == "round.phase" and isinstance(value, str):
        return phase_label(value)
    if isinstance(value, dict):
        words = {"state": (_l("State"), state_label), "phase": (_l("Phase"), phase_label)}
        keys = texts_vi.AUDIT_KEYS if _vietnamese() else {}
        document = value.get("document")  # a document in words first: its inner keys are not translated
        shown = {str(words[k][0]) if k in words else keys.get(k, k):
                 words[k][1](v) if k in words and isinstance(v, str) else
                 group_label(v) if k == "product_group" and isinstance(v, str) else audit_value(v)
                 for k, v in value.items() if not (k == "document" and isinstance(document, dict))}
        if isinstance(document, dict):
            shown[str(_l("Document"))] = _document_words(document)
        return shown
    if isinstance(value, list):
        return [audit_value(v) for v in value]
    if _vietnamese():
        if isinstance(value, bool):
            return "có" if value else "không"
        if isinstance(value, float | Decimal) or (isinstance(value, str) and _DECIMAL.fullmatch(value)):
            from ..i18n import fmt_number

            return fmt_number(value)
    return value


def action_label(action: str | None) -> str:
    """A policy action in words."""
    return str(ACTIONS.get(action or "", action or ""))


def _either(words: list[str]) -> str:
    return str(_l(" or ")).join(words)


def verdict_text(verdict: Verdict) -> str:
    """A refusal of the policy said in the page's language from its facts (the action, the roles or phases it
    needs, the actor's role, the round's phase), not the core's English reason."""
    what = action_label(verdict.action)
    if verdict.kind == "phase":
        phases = list(PHASE_ORDER)
        later = verdict.phase in phases and verdict.needs and \
            phases.index(verdict.phase) > phases.index(verdict.needs[-1])
        step = (_("that phase is over for this round") if later else
                _("first %(step)s", step=str(PHASE_ENTRY.get(verdict.needs[0], verdict.needs[0]))))
        return _("%(what)s is done in the %(needed)s phase; the %(year)s round is in the %(phase)s phase: "
                 "%(step)s.", what=what, needed=_either([phase_label(p) for p in verdict.needs]),
                 year=verdict.year, phase=phase_label(verdict.phase), step=step)
    if not verdict.needs:
        return _("%(what)s: this account is inactive.", what=what)
    return _("%(what)s needs the role %(roles)s; your role is %(role)s.", what=what,
             roles=_either([role_label(r) for r in verdict.needs]), role=role_label(verdict.role))


def refusal_text(exc: Exception) -> str:
    """A service's refusal in the page's language: from the policy's verdict when the refusal carries one, else
    the service's own message."""
    verdict = getattr(exc, "verdict", None)
    if isinstance(verdict, Verdict):
        return verdict_text(verdict)
    return service_text(str(exc))


def service_text(text: str) -> str:
    """A service's own message (a refusal, a validation problem) in the page's language: said in Vietnamese by its
    known shape (texts_vi.service), else as the service wrote it."""
    if not _vietnamese():
        return text
    from ..i18n import fmt_number

    return texts_vi.service(text, state=state_label, group=group_label, phase=phase_label, number=fmt_number)


def refusal_lead(exc: Exception) -> str:
    """A short lead for a service's refusal, in the page's language (the service's message follows it)."""
    return str(next((lead for kind, lead in REFUSALS if isinstance(exc, kind)), _l("Refused")))
