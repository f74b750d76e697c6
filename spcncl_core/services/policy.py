"""The one permission policy: which role may do which action in which phase of a round.

Every write service asks `require(session, actor, action, round_)` before it changes anything. A web layer asks the
same question without a database through `may(user, action, round_)`, to hide or refuse a button. The table
`POLICY` is the only source: docs/records.md prints it (`policy_table_markdown`), and a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from spcncl_core.db.models import Round, User
from spcncl_core.errors import PermissionDeniedError, PhaseError

ROLES = ("admin", "secretariat", "council", "viewer", "public")
ROLE_LABELS_VI = {"admin": "quản trị", "secretariat": "tổ công tác", "council": "thành viên hội đồng",
                  "viewer": "người xem", "public": "công chúng"}
PHASES = ("registration", "screening", "scoring", "results", "publication", "decision", "closed")
PHASE_LABELS_VI = {"registration": "đăng ký", "screening": "thẩm định điều kiện", "scoring": "hội đồng chấm điểm",
                   "results": "tổng hợp kết quả", "publication": "công khai, lấy ý kiến", "decision": "quyết định",
                   "closed": "đã kết thúc"}
# what must happen for a round to reach each phase (said when a service is asked for too early)
PHASE_ENTRY = {
    "registration": "the round is created in it",
    "screening": "registration is closed (rounds.open_screening)",
    "scoring": "every submitted dossier is screened and preliminarily scored, then council scoring is opened "
               "(rounds.start_scoring)",
    "results": "council scoring is closed: every eligible dossier needs a submitted scoring form for each of its "
               "criteria (scoring.close_scoring)",
    "publication": "results are computed and published (results.compute_results, publication.publish)",
    "decision": "the comment window has ended and comments are closed (publication.close_comments)",
    "closed": "the recognition decision is recorded (recognition.decide)",
}
NO_ROUND = None  # an action that does not belong to a round's procedure (users, enterprises, products, rounds)
ALL_PHASES = PHASES
OFFICE = ("admin", "secretariat")


@dataclass(frozen=True)
class Rule:
    """Who may do an action, and in which phases of the round it belongs to (None: not tied to a round)."""

    roles: tuple[str, ...]
    phases: tuple[str, ...] | None
    what: str


POLICY: dict[str, Rule] = {
    # accounts and master data (not tied to a round)
    "user.create": Rule(("admin",), NO_ROUND, "create a back-office user"),
    "user.update": Rule(("admin",), NO_ROUND, "change a user's name, role, active flag or password"),
    "user.change_own_password": Rule(("admin", "secretariat", "council", "viewer"), NO_ROUND,
                                     "change one's own password"),
    "enterprise.save": Rule(OFFICE, NO_ROUND, "create or change an enterprise"),
    "product.save": Rule(OFFICE, NO_ROUND, "create or change a product"),
    "round.create": Rule(("admin",), NO_ROUND, "create a round"),
    # the procedure of a round
    "round.choose_criteria_set": Rule(("admin",), ("registration", "screening"),
                                      "switch the criteria set of a product group"),
    "round.open_screening": Rule(OFFICE, ("registration",), "close registration, open screening"),
    "dossier.register": Rule(OFFICE, ("registration",), "register a product's dossier"),
    "dossier.update": Rule(OFFICE, ("registration",), "edit a draft dossier"),
    "dossier.submit": Rule(OFFICE, ("registration",), "submit a draft dossier"),
    "dossier.return_to_draft": Rule(OFFICE, ("registration",), "return a submitted dossier to draft"),
    "document.record": Rule(OFFICE, ("registration", "screening"), "record a document received with a dossier"),
    "document.unrecord": Rule(OFFICE, ("registration", "screening"), "strike out a document recorded by mistake"),
    "dossier.screen": Rule(OFFICE, ("screening",), "check a dossier's prerequisites"),
    "prerequisite.override": Rule(OFFICE, ("screening",), "override a prerequisite with a written reason"),
    "dossier.preliminary_score": Rule(OFFICE, ("screening",), "compute a dossier's preliminary scores"),
    "council.add_member": Rule(OFFICE, ("registration", "screening", "scoring"), "add a council member"),
    "council.assign": Rule(OFFICE, ("registration", "screening", "scoring"), "assign criteria to a council member"),
    "council.unassign": Rule(OFFICE, ("registration", "screening", "scoring"),
                             "take criteria not yet scored away from a council member"),
    "council.declare_conflict": Rule(("admin", "secretariat", "council"), ("registration", "screening", "scoring"),
                                     "declare a member's conflict with a dossier"),
    "round.start_scoring": Rule(OFFICE, ("screening",), "open council scoring (locks the criteria sets)"),
    "form.open": Rule(("council",), ("scoring",), "open one's own scoring form"),
    "form.save": Rule(("council",), ("scoring",), "save points on one's own scoring form"),
    "form.submit": Rule(("council",), ("scoring",), "submit one's own scoring form"),
    "scores.import": Rule(OFFICE, ("scoring",), "import members' submitted forms on their behalf"),
    "round.close_scoring": Rule(OFFICE, ("scoring",), "close council scoring"),
    "results.compute": Rule(OFFICE, ("results",), "compute results, ranking and Top N"),
    "results.publish": Rule(OFFICE, ("results",), "publish results and open the comment window"),
    "comment.submit": Rule(("public", "admin", "secretariat", "council", "viewer"), ("publication",),
                           "comment on published results"),
    "comment.request_explanation": Rule(OFFICE, ("publication", "decision"), "ask the enterprise to explain"),
    "comment.record_explanation": Rule(OFFICE, ("publication", "decision"), "record the enterprise's explanation"),
    "comment.resolve": Rule(OFFICE, ("publication", "decision"), "resolve a comment"),
    "round.reopen_scoring": Rule(OFFICE, ("publication", "decision"),
                                 "send dossiers back to the council for re-scoring"),
    "round.close_comments": Rule(OFFICE, ("publication",), "close the comment window once it has ended"),
    "recognition.decide": Rule(OFFICE, ("decision",), "record the recognition decision"),
    "certificate.expire": Rule(OFFICE, ("closed",), "mark run-out certificates expired"),
    "certificate.revoke": Rule(("admin",), ("closed",), "revoke a certificate"),
}
ACTIONS = tuple(POLICY)


@dataclass(frozen=True)
class Verdict:
    """The answer to "may this user do this now?": `allowed`, and `reason` when not. A refusal also carries its
    facts, so that a web layer can say it in its own language: the `action`, the roles or phases it `needs`, the
    actor's `role` and the round's `phase` and `year` (`needs` is empty when the user is inactive)."""

    allowed: bool
    reason: str = ""
    kind: str = ""  # "role" or "phase" when refused
    action: str = ""
    needs: tuple[str, ...] = ()
    role: str = ""
    phase: str = ""
    year: int | None = None

    def __bool__(self) -> bool:
        return self.allowed


def role_of(user: User | None) -> str:
    """The policy role of a user; `public` for nobody signed in."""
    return "public" if user is None else user.role


def may(user: User | None, action: str, round_: Round | None = None) -> Verdict:
    """May `user` (None: the public) do `action` on `round_` now? Pure: reads only the objects given."""
    rule = POLICY.get(action)
    if rule is None:
        raise KeyError(f"no action {action!r} in the policy; known: {', '.join(ACTIONS)}")
    role = role_of(user)
    if user is not None and not user.active:
        return Verdict(False, f"user {user.username} is inactive", "role", action, (), role)
    if role not in rule.roles:
        who = "nobody is signed in (the public)" if user is None else f"{user.username} is {role}"
        return Verdict(False, f"{rule.what} needs the role {' or '.join(rule.roles)}; {who}", "role", action,
                       rule.roles, role)
    if rule.phases is not None:
        if round_ is None:
            raise ValueError(f"{action} is a step of a round: give the round")
        if round_.phase not in rule.phases:
            needed = " or ".join(rule.phases)
            first = rule.phases[0]
            later = PHASES.index(round_.phase) > PHASES.index(rule.phases[-1])
            what_first = ("that phase is over for this round" if later else f"first {PHASE_ENTRY[first]}")
            return Verdict(False, f"{rule.what} is done in the {needed} phase; the {round_.year} round is in the "
                                  f"{round_.phase} phase: {what_first}", "phase", action, rule.phases, role,
                           round_.phase, round_.year)
    return Verdict(True)


def allowed_actions(user: User | None, round_: Round | None = None) -> list[str]:
    """Every action `user` may do now: those of `round_` in its phase, or with no round those not tied to one
    (for a screen that shows only the buttons that will work)."""
    return [action for action, rule in POLICY.items()
            if (rule.phases is None) == (round_ is None) and may(user, action, round_)]


def stored_user(session: Session, actor: User | None) -> User | None:
    """The actor as the database holds it now (role and active flag fresh); refused if it is not a stored user."""
    if actor is None:
        return None
    if not isinstance(actor, User):
        raise PermissionDeniedError(f"the actor must be a User record, not {type(actor).__name__} {actor!r}")
    stored = session.get(User, actor.id) if actor.id is not None else None
    if stored is None or stored.username != actor.username:
        raise PermissionDeniedError(f"user {actor.username!r} does not exist")
    if not stored.active:
        raise PermissionDeniedError(f"user {stored.username} is inactive")
    return stored


def require(session: Session, actor: User | None, action: str, round_: Round | None = None) -> User | None:
    """The stored actor, if they may do `action` on `round_` now; PermissionDeniedError or PhaseError otherwise."""
    user = stored_user(session, actor)
    verdict = may(user, action, round_)
    if not verdict:
        error = (PhaseError if verdict.kind == "phase" else PermissionDeniedError)(verdict.reason)
        error.verdict = verdict  # type: ignore[attr-defined]  # the facts, for a message in another language
        raise error
    return user


def actor_name(actor: User | None) -> str:
    """How the audit log names an actor."""
    return "public" if actor is None else actor.username


def policy_table_markdown() -> str:
    """The policy as a Markdown table (printed in docs/records.md)."""
    lines = ["| action | what | roles | phases |", "|---|---|---|---|"]
    for action, rule in POLICY.items():
        phases = "any (not tied to a round)" if rule.phases is None else ", ".join(rule.phases)
        lines.append(f"| `{action}` | {rule.what} | {', '.join(rule.roles)} | {phases} |")
    return "\n".join(lines) + "\n"
