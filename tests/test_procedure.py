"""The programme's procedure and roles, enforced by the services themselves (issue 6: Permissions, Procedure,
Council rules, Audit per record). Each test names the defect it was written for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from records_support import small_round, user
from sqlalchemy import select, text

from spcncl_core import Catalog, DossierError
from spcncl_core.db.models import Certificate, CouncilMember, Dossier, Publication, Result, ScoringForm
from spcncl_core.errors import IllegalTransitionError, LockedError, PermissionDeniedError, PhaseError
from spcncl_core.services import (
    audit,
    dossiers,
    publication,
    recognition,
    results,
    scoring,
    users,
)

# --- Permissions ---------------------------------------------------------------------------------------------------


def test_a_viewer_can_change_nothing(session: Any, catalog: Catalog) -> None:
    """A viewer created an admin account, published results, recorded a decision, revoked certificates and moved
    a dossier straight to recognised."""
    built = small_round(session, catalog, stop_after="results")
    viewer = user(session, "viewer")
    entries = audit.count(session)
    with pytest.raises(PermissionDeniedError, match="create a back-office user needs the role admin; viewer is "
                                                    "viewer"):
        users.create_user(session, viewer, "boss", "Sếp", "admin", "a-long-password")
    with pytest.raises(PermissionDeniedError, match="publish results .* needs the role admin or secretariat; "
                                                    "viewer is viewer"):
        publication.publish(session, viewer, catalog, built.round)
    with pytest.raises(PermissionDeniedError, match="record the recognition decision needs the role"):
        recognition.decide(session, viewer, catalog, built.round, "1/QĐ", date(2023, 12, 1))
    scored = next(d for d in built.dossiers if d.state == "council_scored")
    with pytest.raises(IllegalTransitionError, match="becomes published through publication.publish, not by hand"):
        dossiers.move(session, viewer, scored, "published")
    assert audit.count(session) == entries and scored.state == "council_scored"
    session.rollback()


def test_a_viewer_cannot_revoke_a_certificate(session: Any, catalog: Catalog) -> None:
    small_round(session, catalog)
    with pytest.raises(PermissionDeniedError, match="revoke a certificate needs the role admin; viewer is viewer"):
        recognition.revoke(session, user(session, "viewer"), "HANOI-2023-001", "Thử", today=date(2024, 1, 1))
    assert recognition.check_certificate(session, "HANOI-2023-001", today=date(2024, 1, 1)).status == "valid"


def test_scoring_takes_the_actor_and_only_the_members_own_account(session: Any, catalog: Catalog) -> None:
    """Scoring took no actor, so the audit named whoever the member field said."""
    built = small_round(session, catalog, stop_after="scoring")
    m01, m02 = scoring.get_member(session, built.round, "M01"), scoring.get_member(session, built.round, "M02")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored"
                   and scoring.assigned_criteria(session, catalog, m02, d))
    with pytest.raises(PermissionDeniedError, match="member01 may score only as their own council member, not as "
                                                    "M02"):
        scoring.form_for(session, m01.user, catalog, m02, dossier)
    with pytest.raises(PermissionDeniedError, match="open one's own scoring form needs the role council; "
                                                    "secretariat is secretariat"):
        scoring.form_for(session, user(session, "secretariat"), catalog, m02, dossier)
    form = scoring.form_for(session, m02.user, catalog, m02, dossier)
    points = {c: 1 for c in scoring.assigned_criteria(session, catalog, m02, dossier)}
    scoring.save_scores(session, m02.user, catalog, m02, dossier, points, form.version)
    scoring.submit_form(session, m02.user, catalog, m02, dossier)
    history = audit.entries_for(session, "dossier", dossier.number)
    assert [(e.action, e.actor) for e in history][-3:] == [("form.opened", "member02"), ("score.saved", "member02"),
                                                            ("form.submitted", "member02")]
    session.commit()


def test_the_secretariat_importing_forms_is_recorded_as_entering_them_for_the_member(session: Any,
                                                                                    catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    m02 = scoring.get_member(session, built.round, "M02")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored"
                   and scoring.assigned_criteria(session, catalog, m02, d))
    rows = [("M02", dossier.number, c, 1) for c in scoring.assigned_criteria(session, catalog, m02, dossier)]
    assert scoring.import_scores(session, user(session, "secretariat"), catalog, built.round, rows) == 1
    entry = audit.entries_for(session, "dossier", dossier.number)[-1]
    assert (entry.action, entry.actor) == ("form.submitted", "secretariat")
    assert entry.after["member"] == "M02" and entry.after["on_behalf_of"] == "member02"
    assert entry.after["entered_by"] == "secretariat"
    session.commit()


# --- Procedure -----------------------------------------------------------------------------------------------------


def test_results_are_neither_computed_nor_published_while_scoring_is_open(session: Any, catalog: Catalog) -> None:
    """Results were computed and published while scoring was open, on one member's forms."""
    built = small_round(session, catalog, stop_after="scoring")
    secretariat = user(session, "secretariat")
    with pytest.raises(PhaseError, match="compute results, ranking and Top N is done in the results phase; the 2023 "
                                         "round is in the scoring phase: first council scoring is closed"):
        results.compute_results(session, secretariat, catalog, built.round)
    with pytest.raises(PhaseError, match="publish results .* is done in the results phase"):
        publication.publish(session, secretariat, catalog, built.round)
    assert session.scalar(select(Result).limit(1)) is None


def test_scoring_closes_only_when_every_dossier_has_submitted_forms_for_every_criterion(session: Any,
                                                                                        catalog: Catalog) -> None:
    """The coverage check counted assignments, not submitted forms: a dossier with no council form was ranked first
    and put in the Top 10."""
    built = small_round(session, catalog, stop_after="scoring")
    secretariat = user(session, "secretariat")
    assert scoring.assignment_gaps(session, catalog, built.round) == []  # every criterion has assigned members
    lonely = next(d for d in built.dossiers if d.state == "preliminarily_scored")
    rows = []
    for member in session.scalars(select(CouncilMember).where(CouncilMember.round_id == built.round.id)).all():
        for dossier in built.dossiers:
            if dossier is lonely or dossier.state != "preliminarily_scored":
                continue
            if any(c.member_id == member.id and c.dossier_id == dossier.id
                   for c in session.scalars(select(scoring.Conflict))):
                continue
            rows += [(member.code, dossier.number, c, 1) for c in scoring.assigned_criteria(session, catalog, member,
                                                                                            dossier)]
    scoring.import_scores(session, secretariat, catalog, built.round, rows)
    with pytest.raises(PhaseError, match=rf"scoring cannot close: \d+ criteria of eligible dossiers have no "
                                         rf"submitted scoring form \({lonely.number} KT1"):
        scoring.close_scoring(session, secretariat, catalog, built.round)
    assert built.round.phase == "scoring"
    session.rollback()


def test_no_decision_inside_the_window_and_no_comment_after_it(session: Any, catalog: Catalog) -> None:
    """A decision was recorded on day 1 of the 10-day comment window and comments were accepted after it."""
    built = small_round(session, catalog, stop_after="published")
    admin, secretariat = user(session, "admin"), user(session, "secretariat")
    window = publication.publication_of(session, built.round)
    with pytest.raises(PhaseError, match="record the recognition decision is done in the decision phase; the 2023 "
                                         "round is in the publication phase: first the comment window has ended"):
        recognition.decide(session, admin, catalog, built.round, "1/QĐ", date(2023, 11, 15))
    with pytest.raises(PhaseError, match="runs until 24/11/2023 09:00; it cannot be closed before"):
        publication.close_comments(session, secretariat, built.round, now=window.published_at + timedelta(days=1))
    publication.close_comments(session, secretariat, built.round, now=window.comments_until + timedelta(hours=1))
    with pytest.raises(LockedError, match="falls inside the comment window"):
        recognition.decide(session, admin, catalog, built.round, "1/QĐ", date(2023, 11, 20))
    published = next(d for d in built.dossiers if d.state == "published")
    with pytest.raises(PhaseError, match="comment on published results is done in the publication phase; the 2023 "
                                         "round is in the decision phase"):
        publication.submit_comment(session, None, published, "Lê C", "Muộn", now=window.comments_until)
    recognition.decide(session, admin, catalog, built.round, "1/QĐ", date(2023, 11, 26))
    assert built.round.phase == "closed"
    with pytest.raises(PhaseError, match="in the closed phase: that phase is over"):
        publication.submit_comment(session, None, published, "Lê C", "Muộn nữa", now=window.comments_until)
    session.commit()


def test_a_resolved_comment_stays_resolved(session: Any, catalog: Catalog) -> None:
    """A resolved comment could be re-resolved by a viewer."""
    built = small_round(session, catalog, stop_after="published")
    window = publication.publication_of(session, built.round)
    published = next(d for d in built.dossiers if d.state == "published")
    comment = publication.submit_comment(session, None, published, "Lê C", "Xem lại",
                                         now=window.published_at + timedelta(days=1))
    publication.resolve_comment(session, user(session, "secretariat"), comment, "kept", "Đúng quy định")
    with pytest.raises(PermissionDeniedError, match="resolve a comment needs the role admin or secretariat; viewer "
                                                    "is viewer"):
        publication.resolve_comment(session, user(session, "viewer"), comment, "excluded", "Tôi thấy vậy")
    with pytest.raises(LockedError, match=f"comment {comment.id} was resolved already \\(kept\\)"):
        publication.resolve_comment(session, user(session, "secretariat"), comment, "excluded", "Đổi ý")
    assert (comment.resolution, comment.resolution_note) == ("kept", "Đúng quy định")
    session.commit()


def test_no_registration_outside_the_registration_phase(session: Any, catalog: Catalog) -> None:
    """A dossier could be registered in a recognised round."""
    built = small_round(session, catalog)
    secretariat = user(session, "secretariat")
    enterprise = dossiers.enterprise(session, secretariat, "0100000099", "Công ty muộn")
    product = dossiers.product(session, secretariat, enterprise, "Sản phẩm muộn")
    with pytest.raises(PhaseError, match="register a product's dossier is done in the registration phase; the 2023 "
                                         "round is in the closed phase: that phase is over for this round"):
        dossiers.register(session, secretariat, built.round, product, "HN-2023-0999", {})
    assert session.scalar(select(Dossier).where(Dossier.number == "HN-2023-0999")) is None
    session.rollback()


def test_a_rescored_dossier_is_published_again_with_its_own_window(session: Any, catalog: Catalog) -> None:
    """published → council_scored could not be left, because publishing twice was refused."""
    built = small_round(session, catalog, stop_after="published")
    secretariat = user(session, "secretariat")
    first = publication.publication_of(session, built.round)
    target = next(d for d in built.dossiers if d.state == "published")
    comment = publication.submit_comment(session, None, target, "Lê C", "Điểm xuất khẩu sai",
                                         now=first.published_at + timedelta(days=2))
    publication.resolve_comment(session, secretariat, comment, "rescored", "Hội đồng chấm lại KT4")
    scoring.reopen_scoring(session, secretariat, built.round, [target.number], "góp ý về KT4")
    assert (built.round.phase, target.state) == ("scoring", "council_scored")
    forms = list(session.scalars(select(ScoringForm).where(ScoringForm.dossier_id == target.id)))
    assert forms and all(f.submitted_at is None for f in forms)
    for form in forms:  # each member confirms or changes their points and submits again
        member = form.member
        points = {e.criterion_id: e.points for e in form.entries}
        scoring.save_scores(session, member.user, catalog, member, target, points, form.version)
        scoring.submit_form(session, member.user, catalog, member, target)
    scoring.close_scoring(session, secretariat, catalog, built.round)
    with pytest.raises(PhaseError, match="older than the last scoring"):
        publication.publish(session, secretariat, catalog, built.round, now=datetime(2023, 12, 1, 9))
    results.compute_results(session, secretariat, catalog, built.round)
    second = publication.publish(session, secretariat, catalog, built.round, now=datetime(2023, 12, 1, 9))
    assert (first.version, second.version) == (1, 2)
    assert second.comments_until == datetime(2023, 12, 11, 9, tzinfo=UTC)
    assert target.state == "published" and publication.publication_of(session, built.round) is second
    states = [e.after["state"] for e in audit.entries_for(session, "dossier", target.number)
              if e.action == "dossier.state"]
    assert states[-3:] == ["published", "council_scored", "published"]
    assert session.scalar(select(Publication).where(Publication.version == 2)) is second
    session.commit()


# --- Council rules -------------------------------------------------------------------------------------------------


def _import_case(session: Any, catalog: Catalog) -> tuple[Any, Any, Any, list[str]]:
    built = small_round(session, catalog, stop_after="scoring")
    member = scoring.get_member(session, built.round, "M02")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored"
                   and len(scoring.assigned_criteria(session, catalog, member, d)) > 1)
    return built, member, dossier, scoring.assigned_criteria(session, catalog, member, dossier)


def test_import_refuses_a_non_voting_members_rows(session: Any, catalog: Catalog) -> None:
    built, member, dossier, criteria = _import_case(session, catalog)
    member.voting = False
    session.commit()
    with pytest.raises(DossierError) as info:
        scoring.import_scores(session, user(session, "secretariat"), catalog, built.round,
                              [("M02", dossier.number, c, 1) for c in criteria])
    assert str(info.value.problems[0]) == f"row 1: {member.name} (M02) is a non-voting member and does not score"
    assert scoring.round_scores(session, built.round) == {}


def test_import_refuses_duplicate_rows_naming_both(session: Any, catalog: Catalog) -> None:
    built, _member, dossier, criteria = _import_case(session, catalog)
    rows = [("M02", dossier.number, c, 1) for c in criteria] + [("M02", dossier.number, criteria[0], 2)]
    with pytest.raises(DossierError) as info:
        scoring.import_scores(session, user(session, "secretariat"), catalog, built.round, rows)
    assert [str(p) for p in info.value.problems] == [
        f"row {len(rows)}: repeats row 1: M02 scores {criteria[0]} of dossier {dossier.number} once"]
    assert scoring.round_scores(session, built.round) == {}


def test_import_submits_a_form_only_with_all_its_criteria(session: Any, catalog: Catalog) -> None:
    built, _member, dossier, criteria = _import_case(session, catalog)
    with pytest.raises(DossierError) as info:
        scoring.import_scores(session, user(session, "secretariat"), catalog, built.round,
                              [("M02", dossier.number, criteria[0], 1)])
    assert [str(p) for p in info.value.problems] == [
        f"M02 {dossier.number}: the form lacks {', '.join(criteria[1:])}: a form is submitted with every criterion "
        "its member is assigned"]
    assert session.scalar(select(ScoringForm).limit(1)) is None


def test_a_conflict_declared_after_submitting_takes_the_form_out_of_results(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    m02 = scoring.get_member(session, built.round, "M02")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored"
                   and scoring.assigned_criteria(session, catalog, m02, d))
    criteria = scoring.assigned_criteria(session, catalog, m02, dossier)
    form = scoring.form_for(session, m02.user, catalog, m02, dossier)
    scoring.save_scores(session, m02.user, catalog, m02, dossier, {c: 0 for c in criteria}, form.version)
    scoring.submit_form(session, m02.user, catalog, m02, dossier)
    assert "M02" in scoring.member_scores(session, dossier)
    scoring.declare_conflict(session, m02.user, m02, dossier, "Vợ làm kế toán của doanh nghiệp")
    assert "M02" not in scoring.member_scores(session, dossier)
    assert "M02" not in scoring.round_scores(session, built.round).get(dossier.id, {})
    assert audit.entries_for(session, "dossier", dossier.number)[-1].after == {"member": "M02",
                                                                             "submitted_form_excluded": True}
    session.commit()


# --- Audit: one entry per record -----------------------------------------------------------------------------------


def test_a_dossiers_history_holds_every_step_of_bulk_changes(session: Any, catalog: Catalog) -> None:
    """Bulk changes wrote one entry for many dossiers, so a dossier's history missed its council_scored, published
    and recognised steps; recomputed results were not audited."""
    built = small_round(session, catalog)
    recognised = next(d for d in built.dossiers if d.state == "recognised")
    history = audit.entries_for(session, "dossier", recognised.number)
    steps = [e.after["state"] for e in history if e.action == "dossier.state"]
    assert steps == ["submitted", "eligible", "preliminarily_scored", "council_scored", "published", "recognised"]
    actions = [e.action for e in history]
    assert "result.computed" in actions and "certificate.issued" in actions
    computed = next(e for e in history if e.action == "result.computed")
    result = session.get(Result, recognised.id)
    logged = computed.after["result"]
    assert Decimal(logged["total"]) == result.total and logged["position"] == result.position
    assert not session.scalars(select(text("entity_id")).select_from(text("audit_entry"))
                               .where(text("entity = 'dossiers'"))).all()


def test_enterprise_product_user_assignment_and_conflict_changes_are_audited(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    secretariat, admin = user(session, "secretariat"), user(session, "admin")
    enterprise = dossiers.enterprise(session, secretariat, "0100000077", "Công ty A")
    dossiers.enterprise(session, secretariat, "0100000077", "Công ty A mới", district="Đống Đa")
    product = dossiers.product(session, secretariat, enterprise, "Máy bơm", "cơ khí, chế tạo")
    viewer = user(session, "viewer")
    users.update_user(session, admin, viewer, role="secretariat")
    m02 = scoring.get_member(session, built.round, "M02")
    scoring.assign(session, secretariat, catalog, built.round, "standard", ["KT1", "KT2"], m02)
    scoring.declare_conflict(session, secretariat, m02, built.dossiers[0], "Cổ đông")
    assert [(e.action, e.after) for e in audit.entries_for(session, "enterprise", "0100000077")] == [
        ("enterprise.created", {"name": "Công ty A"}),
        ("enterprise.updated", {"name": "Công ty A mới", "district": "Đống Đa"})]
    assert [e.action for e in audit.entries_for(session, "product", product.id)] == ["product.created"]
    assert audit.entries_for(session, "user", "viewer")[-1].after == {"role": "secretariat"}
    assigned = [e.after["criterion"] for e in audit.entries_for(session, "council_member", "M02")
                if e.action == "council.assigned"]
    assert assigned[-2:] == ["KT1", "KT2"] or {"KT1", "KT2"} <= set(assigned)
    assert audit.entries_for(session, "dossier", built.dossiers[0].number)[-1].action == "council.conflict_declared"
    session.commit()


def test_criteria_not_yet_scored_can_be_taken_away_from_a_member_with_a_reason(session: Any, catalog: Catalog
                                                                              ) -> None:
    """An assignment made by mistake could not be undone; a scored criterion must not lose its points silently."""
    from spcncl_core.db.models import Assignment
    from spcncl_core.errors import NotFoundError, RecordError

    built = small_round(session, catalog, stop_after="scoring")
    secretariat = user(session, "secretariat")
    m01, m02 = scoring.get_member(session, built.round, "M01"), scoring.get_member(session, built.round, "M02")

    def assigned(member: CouncilMember) -> set[str]:
        return set(session.scalars(select(Assignment.criterion_id).where(Assignment.member_id == member.id,
                                                                         Assignment.criteria_set_id.like("%standard"))))

    assert "KT1" in assigned(m01) and "KT1" in assigned(m02)
    entries = audit.count(session)
    for wrong, error, message in (
            ((["KT1"], ""), RecordError, "reason"),
            ((["KT9"], "Nhầm"), NotFoundError, "has no criterion KT9"),
            ((["CN4"], "Nhầm"), RecordError, "M01 is not assigned CN4"),
            (([], "Nhầm"), RecordError, "at least one criterion")):
        if wrong[0] == ["CN4"] and "CN4" in assigned(m01):
            continue
        with pytest.raises(error, match=message):
            scoring.unassign(session, secretariat, catalog, built.round, "standard", *wrong[:1], m01, wrong[1])
    assert audit.count(session) == entries and "KT1" in assigned(m01)

    assert scoring.unassign(session, secretariat, catalog, built.round, "standard", ["KT1"], m01,
                            "Phân công nhầm") == ["KT1"]
    assert "KT1" not in assigned(m01)
    last = audit.entries_for(session, "council_member", "M01")[-1]
    assert (last.action, last.before["criterion"], last.reason) == ("council.unassigned", "KT1", "Phân công nhầm")

    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored" and d.product_group == "standard"
                   and "KT1" in scoring.assigned_criteria(session, catalog, m02, d))
    member_user = user(session, m02.user.username)
    form = scoring.form_for(session, member_user, catalog, m02, dossier)
    scoring.save_scores(session, member_user, catalog, m02, dossier, {"KT1": Decimal("5")}, form.version)
    entries = audit.count(session)
    with pytest.raises(RecordError, match=f"M02 has already given points for KT1 on dossier {dossier.number}"):
        scoring.unassign(session, secretariat, catalog, built.round, "standard", ["KT1"], m02, "Đổi người")
    assert audit.count(session) == entries and "KT1" in assigned(m02)
    with pytest.raises(PermissionDeniedError):
        scoring.unassign(session, user(session, "viewer"), catalog, built.round, "standard", ["KT2"], m02, "Thử")
    session.commit()


# --- Refusals that already wrote -----------------------------------------------------------------------------------


def test_a_second_submit_keeps_the_first_submission_time(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="registered")
    dossier = built.dossiers[0]
    first = dossier.submitted_at
    entries = audit.count(session)
    with pytest.raises(Exception, match="is submitted: it cannot become submitted"):
        dossiers.submit(session, user(session, "secretariat"), catalog, dossier, submitted_at=datetime(2023, 10, 1))
    assert dossier.submitted_at == first and audit.count(session) == entries
    session.commit()
    session.expire_all()
    assert session.get(Dossier, dossier.id).submitted_at == first


def test_revoking_an_expired_certificate_leaves_it_untouched(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog)
    admin = user(session, "admin")
    recognition.expire(session, admin, built.round, date(2026, 11, 27))
    session.commit()
    with pytest.raises(LockedError, match="HANOI-2023-001 expired on 26/11/2026; an expired certificate is not "
                                          "revoked"):
        recognition.revoke(session, admin, "HANOI-2023-001", "Vi phạm", today=date(2027, 1, 1))
    session.commit()
    session.expire_all()
    certificate = session.scalar(select(Certificate).where(Certificate.number == "HANOI-2023-001"))
    assert certificate.revoked_at is None and certificate.revocation_reason is None
    assert certificate.dossier.state == "expired"
