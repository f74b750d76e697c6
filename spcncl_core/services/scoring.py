"""Council scoring: members, scoring assignments (phân công chấm điểm), conflicts, scoring forms, coverage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.db.base import utcnow
from spcncl_core.db.bulk import insert_rows_returning_ids, insert_stream, paused_gc
from spcncl_core.db.models import (
    Assignment,
    Conflict,
    CouncilMember,
    Dossier,
    Round,
    ScoringEntry,
    ScoringForm,
    User,
)
from spcncl_core.db.models.council import COUNCIL_ROLES
from spcncl_core.engine.evaluate import check_points
from spcncl_core.errors import (
    DossierError,
    DuplicateError,
    IllegalTransitionError,
    LockedError,
    NotFoundError,
    PermissionDeniedError,
    PhaseError,
    Problem,
    RecordError,
    StaleEditError,
    did_you_mean,
)
from spcncl_core.services import audit, checks
from spcncl_core.services.dossiers import apply_many, check_transition
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.rounds import criteria_set_for, set_phase
from spcncl_core.services.screening import criteria_set_of

SCORABLE = ("preliminarily_scored", "council_scored")
# points given as these are checked once per distinct value and criterion in an import (a Decimal by its text:
# 7.5 and 7.50 are kept apart, as check_points keeps them)
_PLAIN_NUMBERS = frozenset((int, float, str, Decimal))
_UNSET = object()


def add_member(session: Session, actor: User, round_: Round, code: str, name: str, agency: str | None = None,
               role: str = "member", voting: bool = True, user: User | None = None) -> CouncilMember:
    """Add a person to the round's council, linked to their back-office account (`user`, role council) so that
    they can score their own forms."""
    require(session, actor, "council.add_member", round_)
    code = checks.text(code, CouncilMember.code, "member code") or ""
    name = checks.text(name, CouncilMember.name, "member name") or ""
    agency = checks.text(agency, CouncilMember.agency, "member agency", required=False)
    if role not in COUNCIL_ROLES:
        raise RecordError(f"role must be one of {', '.join(COUNCIL_ROLES)}, not {role!r}")
    if not isinstance(voting, bool):
        raise RecordError(f"voting is true or false, not {voting!r}")
    if user is not None:
        if not isinstance(user, User) or user.id is None or session.get(User, user.id) is None:
            raise NotFoundError(f"the account linked to member {code} is not a stored user")
        if user.role != "council" or not user.active:
            raise RecordError(f"member {code} must be linked to an active account with the role council; "
                              f"{user.username} is {user.role}{'' if user.active else ', inactive'}")
        if session.scalar(select(CouncilMember.code).where(CouncilMember.round_id == round_.id,
                                                           CouncilMember.user_id == user.id)):
            raise DuplicateError(f"{user.username} is linked to another member of the {round_.year} council")
    if session.scalar(select(CouncilMember.id).where(CouncilMember.round_id == round_.id,
                                                     CouncilMember.code == code)):
        raise DuplicateError(f"the {round_.year} council has a member {code} already")
    member = CouncilMember(round_id=round_.id, code=code, name=name, agency=agency, role=role, voting=voting,
                           user=user)
    session.add(member)
    checks.flush(session, f"adding council member {code}", savepoint=True)
    audit.record(session, actor_name(actor), "council.member_added", "council_member", code,
                 after={"round": round_.id, "name": name, "role": role, "voting": voting,
                        "user": user.username if user else None})
    return member


def get_member(session: Session, round_: Round, code: str) -> CouncilMember:
    """A council member of the round by code."""
    found = session.scalar(select(CouncilMember).where(CouncilMember.round_id == round_.id,
                                                       CouncilMember.code == code))
    if found is None:
        raise NotFoundError(f"no council member {code} in the {round_.year} round")
    return found


def assign(session: Session, actor: User, catalog: Catalog, round_: Round, product_group: str,
           criterion_ids: Iterable[str], member: CouncilMember) -> list[Assignment]:
    """Assign criteria of a product group's set to a member (one audit entry per assignment)."""
    require(session, actor, "council.assign", round_)
    if member.round_id != round_.id:
        raise RecordError(f"{member.name} is not on the {round_.year} council")
    cset = criteria_set_for(session, catalog, round_, product_group)
    wanted = _known_criteria(cset, criterion_ids)
    added = []
    for criterion_id in wanted:
        if session.get(Assignment, (round_.id, cset.id, criterion_id, member.id)) is None:
            assignment = Assignment(round_id=round_.id, criteria_set_id=cset.id, criterion_id=criterion_id,
                                    member_id=member.id)
            session.add(assignment)
            added.append(assignment)
    checks.flush(session, f"assigning criteria to {member.code}", savepoint=True)
    for assignment in added:
        audit.record(session, actor_name(actor), "council.assigned", "council_member", member.code,
                     after={"round": round_.id, "criteria_set": cset.id, "criterion": assignment.criterion_id})
    return added


def _known_criteria(cset: CriteriaSet, criterion_ids: Iterable[str]) -> list[str]:
    """The criteria named, once each, in the order given; NotFoundError for one the set does not have."""
    known = [c.id for c in cset.criteria]
    wanted = list(dict.fromkeys(criterion_ids))
    for criterion_id in wanted:
        if criterion_id not in known:
            raise NotFoundError(f"{cset.id} has no criterion {criterion_id}{did_you_mean(str(criterion_id), known)}")
    return wanted


def unassign(session: Session, actor: User, catalog: Catalog, round_: Round, product_group: str,
             criterion_ids: Iterable[str], member: CouncilMember, reason: str) -> list[str]:
    """Take criteria of a product group's set away from a member, with a reason (one audit entry per assignment).

    Refused for a criterion the member has already given points for on any form of that set (saved or submitted):
    scores are never dropped silently. Returns the criteria taken away."""
    require(session, actor, "council.unassign", round_)
    if member.round_id != round_.id:
        raise RecordError(f"{member.name} is not on the {round_.year} council")
    reason = checks.reason(reason, "the reason for taking criteria away") or ""
    cset = criteria_set_for(session, catalog, round_, product_group)
    wanted = _known_criteria(cset, criterion_ids)
    if not wanted:
        raise RecordError("name at least one criterion to take away")
    found = []
    for criterion_id in wanted:
        # locked before the check for points below: a member saving points meanwhile waits, or is refused after
        assignment = session.get(Assignment, (round_.id, cset.id, criterion_id, member.id), with_for_update=True)
        if assignment is None:
            raise RecordError(f"{member.code} is not assigned {criterion_id} of {cset.id}")
        found.append(assignment)
    scored = session.execute(
        select(ScoringEntry.criterion_id, Dossier.number)
        .join(ScoringForm, ScoringForm.id == ScoringEntry.form_id).join(Dossier, Dossier.id == ScoringForm.dossier_id)
        .where(ScoringForm.member_id == member.id, Dossier.round_id == round_.id,
               Dossier.product_group == product_group, ScoringEntry.criterion_id.in_(wanted))
        .order_by(ScoringEntry.criterion_id, Dossier.number).limit(4)).all()
    if scored:
        where = ", ".join(f"{criterion} on dossier {number}" for criterion, number in scored[:3])
        raise RecordError(f"{member.code} has already given points for {where}"
                          f"{' …' if len(scored) > 3 else ''}: a scored criterion is not taken away")
    for assignment in found:
        session.delete(assignment)
    checks.flush(session, f"taking criteria away from {member.code}", savepoint=True)
    for assignment in found:
        audit.record(session, actor_name(actor), "council.unassigned", "council_member", member.code,
                     before={"round": round_.id, "criteria_set": cset.id, "criterion": assignment.criterion_id},
                     reason=reason)
    return [a.criterion_id for a in found]


def declare_conflict(session: Session, actor: User, member: CouncilMember, dossier: Dossier, reason: str) -> None:
    """Record that a member is linked to an applicant: they will not score this dossier, and a form they submitted
    for it already no longer counts (results and the coverage check leave it out). A council member declares only
    their own conflicts."""
    require(session, actor, "council.declare_conflict", dossier.round)
    _own(actor, member, "declare a conflict")
    if member.round_id != dossier.round_id:
        raise RecordError(f"{member.name} is not on the council of dossier {dossier.number}'s round")
    reason = checks.reason(reason, "a conflict declaration's reason") or ""
    if session.get(Conflict, (member.id, dossier.id)) is None:
        session.add(Conflict(member_id=member.id, dossier_id=dossier.id, reason=reason))
        checks.flush(session, f"declaring {member.code}'s conflict with dossier {dossier.number}", savepoint=True)
        submitted = session.scalar(select(ScoringForm.id).where(ScoringForm.member_id == member.id,
                                                                ScoringForm.dossier_id == dossier.id,
                                                                ScoringForm.submitted_at.is_not(None)))
        audit.record(session, actor_name(actor), "council.conflict_declared", "dossier", dossier.number,
                     after={"member": member.code, "submitted_form_excluded": submitted is not None}, reason=reason)



def _own(actor: User | None, member: CouncilMember, doing: str) -> None:
    """A council member acts only as themself."""
    if actor is not None and actor.role == "council" and member.user_id != actor.id:
        raise PermissionDeniedError(f"{actor.username} may {doing} only as their own council member, not as "
                                    f"{member.code} ({member.name})")


def assigned_criteria(session: Session, catalog: Catalog, member: CouncilMember, dossier: Dossier, *,
                      lock: bool = False) -> list[str]:
    """The criteria of a dossier's set that a member is assigned, in the set's order. With `lock` (saving points),
    the assignments are held against being taken away until the transaction ends (PostgreSQL: FOR SHARE)."""
    cset = criteria_set_of(session, catalog, dossier)
    query = select(Assignment.criterion_id).where(
        Assignment.round_id == dossier.round_id, Assignment.criteria_set_id == cset.id,
        Assignment.member_id == member.id)
    assigned = set(session.scalars(query.with_for_update(read=True) if lock else query))
    return [c.id for c in cset.criteria if c.id in assigned]


def form_for(session: Session, actor: User, catalog: Catalog, member: CouncilMember,
             dossier: Dossier) -> ScoringForm:
    """The member's scoring form for a dossier, opened on first use; refused to a conflicted or unassigned member,
    and to anyone but the member's own account. Two sessions opening it at once get the same form."""
    return _form(session, actor, catalog, member, dossier, "form.open")


def _form(session: Session, actor: User, catalog: Catalog, member: CouncilMember, dossier: Dossier,
          action: str) -> ScoringForm:
    round_ = dossier.round
    require(session, actor, action, round_)
    _own(actor, member, "score")
    if member.user_id is None or member.user_id != actor.id:
        raise PermissionDeniedError(f"only {member.code}'s own account scores their forms; {actor.username} is not "
                                    "it (the secretariat enters paper forms with scoring.import_scores)")
    if member.round_id != round_.id:
        raise PermissionDeniedError(f"{member.name} is not on the {round_.year} council")
    if session.get(Conflict, (member.id, dossier.id)) is not None:
        raise PermissionDeniedError(f"{member.name} declared a conflict with dossier {dossier.number} and cannot "
                                    "score it")
    if not member.voting:
        raise PermissionDeniedError(f"{member.name} is a non-voting member of the council and does not score")
    if dossier.state not in SCORABLE:
        raise RecordError(f"dossier {dossier.number} is {dossier.state}: it is not open for council scoring")
    if not assigned_criteria(session, catalog, member, dossier):
        raise PermissionDeniedError(f"{member.name} is assigned no criterion of dossier {dossier.number}")
    query = select(ScoringForm).where(ScoringForm.member_id == member.id, ScoringForm.dossier_id == dossier.id)
    form = session.scalar(query)
    if form is None:
        form = ScoringForm(member_id=member.id, dossier_id=dossier.id, submitted_at=None)
        try:
            with session.begin_nested():  # the form is added inside: a refused insert takes it away again
                session.add(form)
                session.flush()
        except IntegrityError:  # opened at the same moment by another session: use that one
            form = session.scalar(query)
            if form is None:
                raise DuplicateError(f"{member.name}'s form for dossier {dossier.number} could not be opened; "
                                     "try again") from None
        else:
            audit.record(session, actor_name(actor), "form.opened", "dossier", dossier.number,
                         after={"member": member.code})
    return form


def save_scores(session: Session, actor: User, catalog: Catalog, member: CouncilMember, dossier: Dossier,
                points: Mapping[str, Any], expected_version: int) -> ScoringForm:
    """Save points on the member's form for their assigned criteria (0 to max, in the set's steps).

    Refused when the form was submitted, or changed by someone else since `expected_version` (the form's version
    when it was read): concurrent edits are never merged silently.
    """
    form = _form(session, actor, catalog, member, dossier, "form.save")
    if form.submitted_at is not None:
        raise LockedError(f"{member.name}'s form for dossier {dossier.number} was submitted and is locked")
    if not isinstance(points, Mapping):
        raise RecordError(f"points must be a mapping of criterion to points, not {type(points).__name__}")
    if form.version != expected_version:
        raise StaleEditError(f"the form for dossier {dossier.number} was changed elsewhere (version {form.version}, "
                             f"you edited version {expected_version}); reload it and enter your scores again")
    cset = criteria_set_of(session, catalog, dossier)
    assigned = assigned_criteria(session, catalog, member, dossier, lock=True)
    maxima = {c.id: c.max_points for c in cset.criteria}
    problems, clean = [], {}
    for criterion_id, value in points.items():
        if criterion_id not in assigned:
            problems.append(Problem(criterion_id, f"not assigned to {member.name}; assigned: {', '.join(assigned)}"))
            continue
        try:
            clean[criterion_id] = check_points(value, maxima[criterion_id], cset.score_step)
        except ValueError as exc:
            problems.append(Problem(criterion_id, str(exc)))
    if problems:
        raise DossierError(problems, summary=f"scores for dossier {dossier.number} refused")
    before = {e.criterion_id: e.points for e in form.entries}
    entries = {e.criterion_id: e for e in form.entries}
    for criterion_id, value in clean.items():
        if criterion_id in entries:
            entries[criterion_id].points = value
        else:
            form.entries.append(ScoringEntry(criterion_id=criterion_id, points=value))
    _touch(form)
    checks.flush(session, f"saving {member.code}'s form for dossier {dossier.number}")
    audit.record(session, actor_name(actor), "score.saved", "dossier", dossier.number,
                 before={"member": member.code, "points": before},
                 after={"member": member.code, "points": {e.criterion_id: e.points for e in form.entries}})
    return form


def _touch(form: ScoringForm) -> None:
    # an UPDATE of the form row itself, so that its version column is checked and incremented
    from sqlalchemy.orm.attributes import flag_modified

    flag_modified(form, "submitted_at")


def submit_form(session: Session, actor: User, catalog: Catalog, member: CouncilMember,
                dossier: Dossier) -> ScoringForm:
    """Submit the member's form: every assigned criterion must be scored; the form is locked afterwards."""
    form = _form(session, actor, catalog, member, dossier, "form.submit")
    if form.submitted_at is not None:
        raise LockedError(f"{member.name}'s form for dossier {dossier.number} was submitted already")
    missing = [c for c in assigned_criteria(session, catalog, member, dossier)
               if c not in {e.criterion_id for e in form.entries}]
    if missing:
        raise RecordError(f"the form for dossier {dossier.number} lacks scores for {', '.join(missing)}")
    form.submitted_at = utcnow()
    checks.flush(session, f"submitting {member.code}'s form for dossier {dossier.number}")
    audit.record(session, actor_name(actor), "form.submitted", "dossier", dossier.number,
                 after={"member": member.code, "points": {e.criterion_id: e.points for e in form.entries}})
    return form


def forms_visible_to(session: Session, member: CouncilMember) -> list[ScoringForm]:
    """A member sees only their own forms until the round's scoring closes; then every form of the round."""
    round_ = session.get(Round, member.round_id)
    query = select(ScoringForm).join(Dossier, Dossier.id == ScoringForm.dossier_id)
    if round_ is None or round_.scoring_closed_at is None:
        query = query.where(ScoringForm.member_id == member.id)
    else:
        query = query.where(Dossier.round_id == member.round_id)
    return list(session.scalars(query.order_by(Dossier.number, ScoringForm.member_id)))


def _counted_entries(round_: Round) -> Any:
    """Scores that count: on submitted forms of voting members without a declared conflict with the dossier."""
    return (select(ScoringForm.dossier_id, CouncilMember.code, ScoringEntry.criterion_id, ScoringEntry.points)
            .join(ScoringEntry, ScoringEntry.form_id == ScoringForm.id)
            .join(CouncilMember, CouncilMember.id == ScoringForm.member_id)
            .outerjoin(Conflict, (Conflict.member_id == ScoringForm.member_id)
                       & (Conflict.dossier_id == ScoringForm.dossier_id))
            .where(CouncilMember.round_id == round_.id, CouncilMember.voting.is_(True),
                   ScoringForm.submitted_at.is_not(None), Conflict.member_id.is_(None)))


def coverage_gaps(session: Session, catalog: Catalog, round_: Round) -> list[tuple[str, str]]:
    """(dossier, criterion) pairs of dossiers open for council scoring that no submitted form of a voting,
    unconflicted member scores: scoring cannot close while there is one."""
    scored: dict[int, set[str]] = {}
    for dossier_id, _member, criterion_id, _points in session.execute(_counted_entries(round_)):
        scored.setdefault(dossier_id, set()).add(criterion_id)
    gaps = []
    for dossier in session.scalars(select(Dossier).where(Dossier.round_id == round_.id,
                                                         Dossier.state.in_(SCORABLE)).order_by(Dossier.number)):
        cset = criteria_set_of(session, catalog, dossier)
        have = scored.get(dossier.id, set())
        gaps += [(dossier.number, c.id) for c in cset.criteria if c.id not in have]
    return gaps


def assignment_gaps(session: Session, catalog: Catalog, round_: Round) -> list[tuple[str, str]]:
    """(dossier, criterion) pairs of dossiers open for scoring with no assigned, voting, unconflicted member."""
    members = {m.id: m for m in session.scalars(select(CouncilMember).where(CouncilMember.round_id == round_.id))}
    assignments: dict[tuple[str, str], set[int]] = {}
    for a in session.scalars(select(Assignment).where(Assignment.round_id == round_.id)):
        assignments.setdefault((a.criteria_set_id, a.criterion_id), set()).add(a.member_id)
    conflicts = {(c.member_id, c.dossier_id) for c in session.scalars(
        select(Conflict).join(Dossier, Dossier.id == Conflict.dossier_id).where(Dossier.round_id == round_.id))}
    gaps = []
    for dossier in session.scalars(select(Dossier).where(Dossier.round_id == round_.id,
                                                         Dossier.state.in_(SCORABLE)).order_by(Dossier.number)):
        cset = criteria_set_of(session, catalog, dossier)
        for criterion in cset.criteria:
            scorers = [m for m in assignments.get((cset.id, criterion.id), ())
                       if members[m].voting and (m, dossier.id) not in conflicts]
            if not scorers:
                gaps.append((dossier.number, criterion.id))
    return gaps


def close_scoring(session: Session, actor: User, catalog: Catalog, round_: Round) -> None:
    """Close council scoring (the round moves to its results phase), only when every criterion of every dossier
    open for scoring is scored on a submitted form of a voting member without a conflict."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "round.close_scoring", round_)
    gaps = coverage_gaps(session, catalog, round_)
    if gaps:
        shown = ", ".join(f"{d} {c}" for d, c in gaps[:10])
        raise PhaseError(f"scoring cannot close: {len(gaps)} criteria of eligible dossiers have no submitted "
                         f"scoring form ({shown}{', …' if len(gaps) > 10 else ''}); the members assigned them must "
                         "score and submit their forms (or assign more members)")
    round_.scoring_closed_at = utcnow()
    set_phase(session, actor, round_, "results", reason="every eligible dossier has a submitted form for each "
                                                        "criterion")


def reopen_scoring(session: Session, actor: User, round_: Round, numbers: Iterable[str], reason: str) -> list[Dossier]:
    """Send published dossiers back to the council (a comment resolved as `rescored`): the round returns to its
    scoring phase, the dossiers to council_scored, and their submitted forms are reopened. Closing scoring again,
    computing results and publishing makes a new, versioned publication with its own comment window."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "round.reopen_scoring", round_)
    reason = checks.reason(reason, "the reason for re-scoring") or ""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        raise RecordError("name the dossiers to re-score")
    found = {d.number: d for d in session.scalars(select(Dossier).where(Dossier.round_id == round_.id,
                                                                        Dossier.number.in_(wanted)))}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise NotFoundError(f"no dossier {', '.join(missing)} in the {round_.year} round")
    chosen = [found[n] for n in wanted]
    for dossier in chosen:
        if dossier.state != "published":
            raise IllegalTransitionError(f"dossier {dossier.number} is {dossier.state}: only a published dossier "
                                         "is sent back for re-scoring")
        check_transition(dossier, "council_scored")
    forms = list(session.scalars(select(ScoringForm).where(ScoringForm.dossier_id.in_([d.id for d in chosen]),
                                                           ScoringForm.submitted_at.is_not(None))))
    name = actor_name(actor)
    by_id = {d.id: d for d in chosen}
    for form in forms:
        form.submitted_at = None
    round_.scoring_closed_at = None
    checks.flush(session, "reopening scoring forms")
    for form in forms:
        audit.record(session, name, "form.reopened", "dossier", by_id[form.dossier_id].number,
                     after={"member": form.member.code}, reason=reason)
    apply_many(session, actor, chosen, "council_scored", reason=reason)
    set_phase(session, actor, round_, "scoring", reason=f"re-scoring {', '.join(wanted)}: {reason}")
    return chosen


def member_scores(session: Session, dossier: Dossier) -> dict[str, dict[str, Decimal]]:
    """Scores of a dossier that count (submitted forms of voting, unconflicted members): member → criterion →
    points."""
    out: dict[str, dict[str, Decimal]] = {}
    for _dossier_id, member, criterion_id, points in session.execute(
            _counted_entries(dossier.round).where(ScoringForm.dossier_id == dossier.id)):
        out.setdefault(member, {})[criterion_id] = points
    return out


def round_scores(session: Session, round_: Round) -> dict[int, dict[str, dict[str, Decimal]]]:
    """Every score of a round that counts, in one query: dossier id → member code → criterion → points."""
    out: dict[int, dict[str, dict[str, Decimal]]] = {}
    for dossier_id, member, criterion_id, points in session.execute(_counted_entries(round_)):
        out.setdefault(dossier_id, {}).setdefault(member, {})[criterion_id] = points
    return out


class _MemberRow(NamedTuple):
    id: int
    code: str
    name: str
    voting: bool
    username: str | None


class _DossierRow(NamedTuple):
    id: int
    number: str
    state: str
    product_group: str | None


def import_scores(session: Session, actor: User, catalog: Catalog, round_: Round,
                  rows: Iterable[tuple[str, str, str, Any]]) -> int:
    """Import submitted scoring forms in bulk, entered by the secretariat on the members' behalf: rows of (member
    code, dossier number, criterion, points).

    Every row is checked as `save_scores` checks one (a voting member, assigned, not conflicted, 0 to max in steps);
    a criterion given twice for one form is refused naming both rows; a form is submitted only with every criterion
    its member is assigned. All problems are reported at once and nothing is written unless every row is valid.
    Each form gets its own audit entry, naming the member and the secretariat who entered it. Returns the number of
    forms written."""
    require(session, actor, "scores.import", round_)
    with paused_gc():
        return _import_scores(session, actor, catalog, round_, rows)


def _import_scores(session: Session, actor: User, catalog: Catalog, round_: Round,
                   rows: Iterable[tuple[str, str, str, Any]]) -> int:
    # plain rows, not ORM objects: a national round's import checks close to a million scores
    members = {m.code: _MemberRow(m.id, m.code, m.name, m.voting, m.username) for m in session.scalars(
        select(CouncilMember).where(CouncilMember.round_id == round_.id))}
    dossier_rows = {number: _DossierRow(id_, number, state, group) for id_, number, state, group in session.execute(
        select(Dossier.id, Dossier.number, Dossier.state, Dossier.product_group)
        .where(Dossier.round_id == round_.id))}
    members_by_id = {m.id: m for m in members.values()}
    dossiers_by_id = {d.id: d for d in dossier_rows.values()}
    assignments: dict[tuple[str, int], set[str]] = {}
    for a in session.scalars(select(Assignment).where(Assignment.round_id == round_.id)):
        assignments.setdefault((a.criteria_set_id, a.member_id), set()).add(a.criterion_id)
    conflicts = {(c.member_id, c.dossier_id) for c in session.scalars(
        select(Conflict).join(Dossier, Dossier.id == Conflict.dossier_id).where(Dossier.round_id == round_.id))}
    existing = {(f.member_id, f.dossier_id) for f in session.scalars(
        select(ScoringForm).join(Dossier, Dossier.id == ScoringForm.dossier_id).where(Dossier.round_id == round_.id))}
    sets = {c.product_group: criteria_set_for(session, catalog, round_, c.product_group) for c in round_.criteria_sets}
    maxima = {(s.id, c.id): c.max_points for s in sets.values() for c in s.criteria}
    order = {s.id: [c.id for c in s.criteria] for s in sets.values()}
    forms: dict[tuple[int, int], dict[str, Decimal]] = {}
    form_set: dict[tuple[int, int], str] = {}
    seen: dict[tuple[int, int, str], int] = {}
    refused: set[tuple[int, int]] = set()
    checked: dict[tuple[str, str, type, Any], Decimal] = {}
    problems = []
    # a form's rows come one after another: what concerns the member and the dossier is worked out once per form
    last_code: Any = _UNSET
    last_number: Any = _UNSET
    refusal: str | None = None
    member: _MemberRow | None = None
    dossier: _DossierRow | None = None
    cset: Any = None
    assigned: Any = ()
    exists = False
    key = (0, 0)
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, tuple | list) or len(row) != 4:
            problems.append(Problem(f"row {n}", "must be (member code, dossier number, criterion, points)"))
            continue
        member_code, number, criterion_id, value = row
        if not (member_code == last_code and number == last_number):
            last_code, last_number = member_code, number
            member, dossier = members.get(member_code), dossier_rows.get(number)
            refusal = None
            if member is None or dossier is None:
                refusal = (f"unknown {'member ' + str(member_code) if member is None else ''}"
                           f"{' and ' if member is None and dossier is None else ''}"
                           f"{'dossier ' + str(number) if dossier is None else ''}")
            else:
                cset = sets.get(dossier.product_group or "")
                key = (member.id, dossier.id)
                if cset is None or dossier.state not in SCORABLE:
                    refusal = f"dossier {number} is {dossier.state}: not open for council scoring"
                elif not member.voting:
                    refusal = f"{member.name} ({member.code}) is a non-voting member and does not score"
                elif key in conflicts:
                    refusal = f"{member.name} declared a conflict with dossier {number}"
                else:
                    assigned = assignments.get((cset.id, member.id), ())
                    exists = key in existing
        if refusal is not None:
            problems.append(Problem(f"row {n}", refusal))
            continue
        assert member is not None and dossier is not None
        if criterion_id not in assigned:
            problems.append(Problem(f"row {n}", f"{member.name} is not assigned {criterion_id}"))
            continue
        if exists:
            problems.append(Problem(f"row {n}", f"{member.name} has a form for dossier {number} already"))
            continue
        first = seen.setdefault((member.id, dossier.id, criterion_id), n)
        if first != n:
            problems.append(Problem(f"row {n}", f"repeats row {first}: {member.code} scores {criterion_id} of "
                                                f"dossier {number} once"))
            continue
        try:
            kind = type(value)
            if kind in _PLAIN_NUMBERS:  # the same points for the same criterion are checked once
                known = (cset.id, criterion_id, kind, str(value) if kind is Decimal else value)
                points = checked.get(known)
                if points is None:
                    points = checked[known] = check_points(value, maxima[(cset.id, criterion_id)], cset.score_step)
            else:
                points = check_points(value, maxima[(cset.id, criterion_id)], cset.score_step)
            sheet = forms.get(key)
            if sheet is None:
                sheet = forms[key] = {}
                form_set[key] = cset.id
            sheet[criterion_id] = points
        except (ValueError, TypeError, ArithmeticError) as exc:
            problems.append(Problem(f"row {n}", str(exc)))
            refused.add(key)
    in_order: dict[tuple[str, int], list[str]] = {}  # a member's assigned criteria of a set, in the set's order
    for form_key, points in forms.items():
        if form_key in refused:
            continue  # its refused rows are reported; "lacks" would only repeat them
        member_id, dossier_id = form_key
        set_id = form_set[form_key]
        wanted = in_order.get((set_id, member_id))
        if wanted is None:
            wanted = in_order[(set_id, member_id)] = [c for c in order[set_id]
                                                      if c in assignments.get((set_id, member_id), ())]
        if len(points) < len(wanted):  # a form holds assigned criteria only (the rows above)
            lacking = [c for c in wanted if c not in points]
            problems.append(Problem(f"{members_by_id[member_id].code} {dossiers_by_id[dossier_id].number}",
                                    f"the form lacks {', '.join(lacking)}: a form is submitted with every criterion "
                                    "its member is assigned"))
    if problems:
        raise DossierError(problems, summary="score import refused; nothing was written")
    if not forms:
        return 0
    now = utcnow()
    name = actor_name(actor)
    audit.audit_key()  # no key, no import: said before anything is written
    logged: list[tuple[str, str, str | None, str | None]] = []

    def entries() -> Iterator[list[Any]]:
        # each form's audit entry is made while the database takes the entries before it (on PostgreSQL, COPY
        # checks each entry's form on the other core meanwhile)
        for form_id, ((member_id, dossier_id), points) in zip(form_ids, forms.items()):
            member = members_by_id[member_id]
            logged.append(("dossier", dossiers_by_id[dossier_id].number, None, audit.canonical({
                "member": member.code, "points": {c: format(p, "f") for c, p in points.items()},
                "submitted": True, "entered_by": name, "on_behalf_of": member.username or member.code})))
            for criterion_id, value in points.items():
                yield [form_id, criterion_id, value]

    # bulk writes: a round's forms arrive by the thousand from the Excel workbooks
    with checks.translated("importing scoring forms"):
        form_ids = insert_rows_returning_ids(session, ScoringForm.__table__, [
            {"member_id": m, "dossier_id": d} for m, d in forms], natural_key=("member_id", "dossier_id"),
            constants={"submitted_at": now, "version": 1})
        insert_stream(session, ScoringEntry.__table__, ("form_id", "criterion_id", "points"), entries())
    audit.record_texts(session, name, "form.submitted", logged)
    return len(form_ids)
