"""Council scoring: members, scoring assignments (phân công chấm điểm), conflicts, scoring forms, coverage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from spcncl_core.catalog import Catalog
from spcncl_core.db.base import utcnow
from spcncl_core.db.bulk import insert_rows, insert_rows_returning_ids, paused_gc
from spcncl_core.db.models import Assignment, Conflict, CouncilMember, Dossier, Round, ScoringEntry, ScoringForm
from spcncl_core.db.models.council import COUNCIL_ROLES
from spcncl_core.engine.evaluate import check_points
from spcncl_core.errors import (
    DossierError,
    LockedError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RecordError,
    StaleEditError,
    did_you_mean,
)
from spcncl_core.services import audit
from spcncl_core.services.rounds import criteria_set_for
from spcncl_core.services.screening import criteria_set_of

SCORABLE = ("preliminarily_scored", "council_scored")


def add_member(session: Session, actor: str, round_: Round, code: str, name: str, agency: str | None = None,
               role: str = "member", voting: bool = True, username: str | None = None) -> CouncilMember:
    """Add a person to the round's council."""
    if role not in COUNCIL_ROLES:
        raise RecordError(f"role must be one of {', '.join(COUNCIL_ROLES)}, not {role!r}")
    member = CouncilMember(round_id=round_.id, code=code, name=name, agency=agency, role=role, voting=voting,
                           username=username)
    session.add(member)
    session.flush()
    audit.record(session, actor, "council.member_added", "council_member", code,
                 after={"name": name, "role": role, "voting": voting})
    return member


def get_member(session: Session, round_: Round, code: str) -> CouncilMember:
    """A council member of the round by code."""
    found = session.scalar(select(CouncilMember).where(CouncilMember.round_id == round_.id,
                                                       CouncilMember.code == code))
    if found is None:
        raise NotFoundError(f"no council member {code} in the {round_.year} round")
    return found


def assign(session: Session, catalog: Catalog, actor: str, round_: Round, product_group: str,
           criterion_ids: Iterable[str], member: CouncilMember) -> list[Assignment]:
    """Assign criteria of a product group's set to a member."""
    cset = criteria_set_for(session, catalog, round_, product_group)
    known = [c.id for c in cset.criteria]
    added = []
    for criterion_id in criterion_ids:
        if criterion_id not in known:
            raise NotFoundError(f"{cset.id} has no criterion {criterion_id}{did_you_mean(criterion_id, known)}")
        if session.get(Assignment, (round_.id, cset.id, criterion_id, member.id)) is None:
            assignment = Assignment(round_id=round_.id, criteria_set_id=cset.id, criterion_id=criterion_id,
                                    member_id=member.id)
            session.add(assignment)
            added.append(assignment)
    session.flush()
    audit.record(session, actor, "council.assigned", "council_member", member.code,
                 after={"criteria_set": cset.id, "criteria": [a.criterion_id for a in added]})
    return added


def declare_conflict(session: Session, actor: str, member: CouncilMember, dossier: Dossier, reason: str) -> None:
    """Record that a member is linked to an applicant: they will not score this dossier."""
    if not reason.strip():
        raise RecordError("a conflict declaration needs its reason")
    if session.get(Conflict, (member.id, dossier.id)) is None:
        session.add(Conflict(member_id=member.id, dossier_id=dossier.id, reason=reason.strip()))
        session.flush()
        audit.record(session, actor, "council.conflict_declared", "dossier", dossier.number,
                     after={"member": member.code}, reason=reason.strip())


def assigned_criteria(session: Session, catalog: Catalog, member: CouncilMember, dossier: Dossier) -> list[str]:
    """The criteria of a dossier's set that a member is assigned, in the set's order."""
    cset = criteria_set_of(session, catalog, dossier)
    assigned = set(session.scalars(select(Assignment.criterion_id).where(
        Assignment.round_id == dossier.round_id, Assignment.criteria_set_id == cset.id,
        Assignment.member_id == member.id)))
    return [c.id for c in cset.criteria if c.id in assigned]


def form_for(session: Session, catalog: Catalog, member: CouncilMember, dossier: Dossier) -> ScoringForm:
    """The member's scoring form for a dossier, opened on first use; refused to a conflicted or unassigned member."""
    round_ = dossier.round
    if member.round_id != round_.id:
        raise PermissionDeniedError(f"{member.name} is not on the {round_.year} council")
    if not round_.scoring_started or round_.scoring_closed_at is not None:
        raise LockedError(f"council scoring of the {round_.year} round is "
                          f"{'closed' if round_.scoring_closed_at else 'not open yet'}")
    if session.get(Conflict, (member.id, dossier.id)) is not None:
        raise PermissionDeniedError(f"{member.name} declared a conflict with dossier {dossier.number} and cannot "
                                    "score it")
    if not member.voting:
        raise PermissionDeniedError(f"{member.name} is a non-voting member of the council and does not score")
    if dossier.state not in SCORABLE:
        raise RecordError(f"dossier {dossier.number} is {dossier.state}: it is not open for council scoring")
    if not assigned_criteria(session, catalog, member, dossier):
        raise PermissionDeniedError(f"{member.name} is assigned no criterion of dossier {dossier.number}")
    form = session.scalar(select(ScoringForm).where(ScoringForm.member_id == member.id,
                                                    ScoringForm.dossier_id == dossier.id))
    if form is None:
        form = ScoringForm(member_id=member.id, dossier_id=dossier.id)
        session.add(form)
        session.flush()
    return form


def save_scores(session: Session, catalog: Catalog, member: CouncilMember, dossier: Dossier,
                points: Mapping[str, Any], expected_version: int) -> ScoringForm:
    """Save points on the member's form for their assigned criteria (0 to max, in the set's steps).

    Refused when the form was submitted, or changed by someone else since `expected_version` (the form's version
    when it was read): concurrent edits are never merged silently.
    """
    form = form_for(session, catalog, member, dossier)
    if form.submitted_at is not None:
        raise LockedError(f"{member.name}'s form for dossier {dossier.number} was submitted and is locked")
    if form.version != expected_version:
        raise StaleEditError(f"the form for dossier {dossier.number} was changed elsewhere (version {form.version}, "
                             f"you edited version {expected_version}); reload it and enter your scores again")
    cset = criteria_set_of(session, catalog, dossier)
    assigned = assigned_criteria(session, catalog, member, dossier)
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
    number = dossier.number  # read now: after a failed flush the session must be rolled back before any load
    try:
        _touch(form)
        session.flush()
    except StaleDataError:
        raise StaleEditError(f"the form for dossier {number} was changed elsewhere at the same time; "
                             "roll back, reload it and enter your scores again") from None
    audit.record(session, member.username or member.code, "score.saved", "dossier", dossier.number,
                 before={"member": member.code, "points": before},
                 after={"member": member.code, "points": {e.criterion_id: e.points for e in form.entries}})
    return form


def _touch(form: ScoringForm) -> None:
    # an UPDATE of the form row itself, so that its version column is checked and incremented
    from sqlalchemy.orm.attributes import flag_modified

    flag_modified(form, "submitted_at")


def submit_form(session: Session, catalog: Catalog, member: CouncilMember, dossier: Dossier) -> ScoringForm:
    """Submit the member's form: every assigned criterion must be scored; the form is locked afterwards."""
    form = form_for(session, catalog, member, dossier)
    if form.submitted_at is not None:
        raise LockedError(f"{member.name}'s form for dossier {dossier.number} was submitted already")
    missing = [c for c in assigned_criteria(session, catalog, member, dossier)
               if c not in {e.criterion_id for e in form.entries}]
    if missing:
        raise RecordError(f"the form for dossier {dossier.number} lacks scores for {', '.join(missing)}")
    form.submitted_at = utcnow()
    session.flush()
    audit.record(session, member.username or member.code, "form.submitted", "dossier", dossier.number,
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


def coverage_gaps(session: Session, catalog: Catalog, round_: Round) -> list[tuple[str, str]]:
    """(dossier, criterion) pairs of eligible dossiers with no assigned, voting, unconflicted member."""
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


def close_scoring(session: Session, catalog: Catalog, actor: str, round_: Round) -> None:
    """Close council scoring, after the coverage check: every criterion of every eligible dossier has a scorer."""
    if not round_.scoring_started:
        raise RecordError(f"council scoring of the {round_.year} round has not started")
    if round_.scoring_closed_at is not None:
        raise LockedError(f"council scoring of the {round_.year} round is closed already")
    gaps = coverage_gaps(session, catalog, round_)
    if gaps:
        shown = ", ".join(f"{d} {c}" for d, c in gaps[:10])
        raise RecordError(f"scoring cannot close: {len(gaps)} criteria have no eligible assigned scorer "
                          f"({shown}{', …' if len(gaps) > 10 else ''}); assign more members")
    round_.scoring_closed_at = utcnow()
    session.flush()
    audit.record(session, actor, "round.scoring_closed", "round", round_.id)


def member_scores(session: Session, dossier: Dossier) -> dict[str, dict[str, Decimal]]:
    """Submitted scores of a dossier: member code → criterion → points."""
    out: dict[str, dict[str, Decimal]] = {}
    for form in session.scalars(select(ScoringForm).where(ScoringForm.dossier_id == dossier.id,
                                                          ScoringForm.submitted_at.is_not(None))):
        out[form.member.code] = {e.criterion_id: e.points for e in form.entries}
    return out


def round_scores(session: Session, round_: Round) -> dict[int, dict[str, dict[str, Decimal]]]:
    """Every submitted score of a round in one query: dossier id → member code → criterion → points."""
    rows = session.execute(
        select(ScoringForm.dossier_id, CouncilMember.code, ScoringEntry.criterion_id, ScoringEntry.points)
        .join(ScoringEntry, ScoringEntry.form_id == ScoringForm.id)
        .join(CouncilMember, CouncilMember.id == ScoringForm.member_id)
        .where(CouncilMember.round_id == round_.id, ScoringForm.submitted_at.is_not(None)))
    out: dict[int, dict[str, dict[str, Decimal]]] = {}
    for dossier_id, member, criterion_id, points in rows:
        out.setdefault(dossier_id, {}).setdefault(member, {})[criterion_id] = points
    return out


class _MemberRow(NamedTuple):
    id: int
    code: str
    name: str


class _DossierRow(NamedTuple):
    id: int
    number: str
    state: str
    product_group: str | None


def import_scores(session: Session, catalog: Catalog, actor: str, round_: Round,
                  rows: Iterable[tuple[str, str, str, Any]]) -> int:
    """Import submitted scoring forms in bulk: rows of (member code, dossier number, criterion, points).

    Every row is checked as `save_scores` checks one (assigned, not conflicted, 0 to max in steps); all problems
    are reported at once and nothing is written unless every row is valid. Returns the number of forms written.
    """
    with paused_gc():
        return _import_scores(session, catalog, actor, round_, rows)


def _import_scores(session: Session, catalog: Catalog, actor: str, round_: Round,
                   rows: Iterable[tuple[str, str, str, Any]]) -> int:
    if not round_.scoring_started or round_.scoring_closed_at is not None:
        raise LockedError(f"council scoring of the {round_.year} round is "
                          f"{'closed' if round_.scoring_closed_at else 'not open yet'}")
    # plain rows, not ORM objects: a national round's import checks close to a million scores
    members = {m.code: _MemberRow(m.id, m.code, m.name) for m in session.scalars(
        select(CouncilMember).where(CouncilMember.round_id == round_.id))}
    dossier_rows = {number: _DossierRow(id_, number, state, group) for id_, number, state, group in session.execute(
        select(Dossier.id, Dossier.number, Dossier.state, Dossier.product_group)
        .where(Dossier.round_id == round_.id))}
    members_by_id = {m.id: m for m in members.values()}
    dossiers_by_id = {d.id: d for d in dossier_rows.values()}
    assignments: dict[tuple[str, int], set[str]] = {}
    for a in session.scalars(select(Assignment).where(Assignment.round_id == round_.id)):
        assignments.setdefault((a.criteria_set_id, a.member_id), set()).add(a.criterion_id)
    conflicts = {(c.member_id, c.dossier_id) for c in session.scalars(select(Conflict))}
    existing = {(f.member_id, f.dossier_id) for f in session.scalars(
        select(ScoringForm).join(Dossier, Dossier.id == ScoringForm.dossier_id).where(Dossier.round_id == round_.id))}
    sets = {c.product_group: criteria_set_for(session, catalog, round_, c.product_group) for c in round_.criteria_sets}
    maxima = {(s.id, c.id): c.max_points for s in sets.values() for c in s.criteria}
    forms: dict[tuple[int, int], dict[str, Decimal]] = {}
    problems = []
    for n, (member_code, number, criterion_id, value) in enumerate(rows, start=1):
        where = f"row {n}"
        member, dossier = members.get(member_code), dossier_rows.get(number)
        if member is None or dossier is None:
            problems.append(Problem(where, f"unknown {'member ' + member_code if member is None else ''}"
                                           f"{' and ' if member is None and dossier is None else ''}"
                                           f"{'dossier ' + number if dossier is None else ''}"))
            continue
        cset = sets.get(dossier.product_group or "")
        if cset is None or dossier.state not in SCORABLE:
            problems.append(Problem(where, f"dossier {number} is {dossier.state}: not open for council scoring"))
            continue
        if (member.id, dossier.id) in conflicts:
            problems.append(Problem(where, f"{member.name} declared a conflict with dossier {number}"))
            continue
        if criterion_id not in assignments.get((cset.id, member.id), ()):
            problems.append(Problem(where, f"{member.name} is not assigned {criterion_id}"))
            continue
        if (member.id, dossier.id) in existing:
            problems.append(Problem(where, f"{member.name} has a form for dossier {number} already"))
            continue
        try:
            forms.setdefault((member.id, dossier.id), {})[criterion_id] = check_points(
                value, maxima[(cset.id, criterion_id)], cset.score_step)
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
    if problems:
        raise DossierError(problems, summary="score import refused; nothing was written")
    now = utcnow()
    # bulk writes: a round's forms arrive by the thousand from the Excel workbooks
    form_ids = insert_rows_returning_ids(session, ScoringForm.__table__, [
        {"member_id": m, "dossier_id": d} for m, d in forms], natural_key=("member_id", "dossier_id"),
        constants={"submitted_at": now, "version": 1})
    entries = [{"form_id": form_id, "criterion_id": c, "points": p}
               for form_id, points in zip(form_ids, forms.values()) for c, p in points.items()]
    insert_rows(session, ScoringEntry.__table__, entries)
    codes, numbers = {m: members_by_id[m].code for m in members_by_id}, {d: dossiers_by_id[d].number
                                                                          for d in dossiers_by_id}
    audit.record_many(session, actor, "form.imported",
                      (("dossier", numbers[d], None,
                        {"member": codes[m], "points": {c: format(p, "f") for c, p in points.items()},
                         "submitted": True})
                       for (m, d), points in forms.items()))
    return len(form_ids)
