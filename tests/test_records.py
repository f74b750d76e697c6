"""The yearly round on a real database (SQLite file, or PostgreSQL with SPCNCL_TEST_DATABASE_URL): registration to
certificates, the state machine, screening overrides, council scoring rules, results, publication, recognition
and the audit log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from spcncl_core import Catalog, DossierError
from spcncl_core.db.base import make_session_factory
from spcncl_core.db.models import AuditEntry, Dossier, Result, User
from spcncl_core.demo import build_round
from spcncl_core.errors import (
    IllegalTransitionError,
    LockedError,
    PermissionDeniedError,
    RecordError,
    StaleEditError,
)
from spcncl_core.services import (
    audit,
    dossiers,
    publication,
    recognition,
    results,
    rounds,
    scoring,
    screening,
)
from spcncl_core.services.dossiers import TRANSITIONS, move

SMALL = dict(enterprises=6, eligible=8, recognised=6, ineligible=2, members=5, high_tech=2)


def small_round(session: Any, catalog: Catalog, stop_after: str = "recognised") -> Any:
    built = build_round(session, catalog, stop_after=stop_after, **SMALL)
    session.commit()
    return built


def user(session: Any, username: str) -> User:
    """A demo user by name."""
    return session.scalar(select(User).where(User.username == username))


def test_end_to_end_round_from_registration_to_certificates(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog)
    states = sorted(d.state for d in built.dossiers)
    assert states.count("ineligible") == 2
    rows = results.round_results(session, built.round)
    assert len(rows) == 10
    passed = [d for d, r in rows if r.passed]
    assert {d.state for d in passed} == {"recognised"}
    assert {d.state for d, r in rows if r.eligible and not r.passed} <= {"not_recognised"}
    assert [r.position for _, r in rows if r.eligible] == list(range(1, 9))
    assert sum(r.top for _, r in rows) == min(10, len(passed))
    # every result pins the exact criteria-set content, and re-evaluating reproduces it
    for dossier, result in rows:
        cset = rounds.criteria_set_for(session, catalog, built.round, dossier.product_group)
        assert result.content_hash == cset.content_hash
        if result.eligible:
            again = screening.engine_evaluation(session, catalog, dossier,
                                                scoring.member_scores(session, dossier) or None)
            assert again.total == result.total and again.content_hash == result.content_hash
    certificates = recognition._add_years  # noqa: SLF001 - sanity of the validity arithmetic below
    assert certificates(date(2023, 11, 26), 3) == date(2026, 11, 26)
    first = recognition.check_certificate(session, "HANOI-2023-001", today=date(2024, 1, 1))
    assert first.status == "valid" and first.valid_until == date(2026, 11, 26)
    assert audit.verify(session).ok


@pytest.mark.parametrize(("source", "target"), [(s, t) for s in TRANSITIONS for t in TRANSITIONS
                                                  if t not in TRANSITIONS[s]])
def test_every_illegal_transition_is_refused(session: Any, source: str, target: str) -> None:
    dossier = Dossier(number="HN-2023-0001", state=source)  # refused before anything is written
    allowed = ", ".join(TRANSITIONS[source]) or "none (a final state)"
    with pytest.raises(IllegalTransitionError, match=rf"is {source}: it cannot become {target}; allowed from "
                                                     rf"{source}: {allowed.replace('(', '[(]').replace(')', '[)]')}"):
        move(session, None, dossier, target)
    assert dossier.state == source and audit.count(session) == 0


def test_override_needs_a_reason_is_audited_and_moves_eligibility(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="screened")
    refused = next(d for d in built.dossiers if d.state == "ineligible")
    failing = next(c for c in refused.checks if not c.computed)
    with pytest.raises(RecordError, match=r"written reason \(lý do\) is required"):
        screening.override(session, user(session, "secretariat"), refused, failing.prerequisite_id, True, "  ")
    with pytest.raises(PermissionDeniedError, match="override a prerequisite with a written reason needs the role "
                                                    "admin or secretariat; member01 is council"):
        screening.override(session, user(session, "member01"), refused, failing.prerequisite_id, True, "Tôi thấy đủ")
    for check in refused.checks:
        if not check.computed:
            screening.override(session, user(session, "secretariat"), refused, check.prerequisite_id, True,
                               "Văn bản xác nhận bổ sung ngày 12/10")
    assert refused.state == "eligible"
    history = audit.entries_for(session, "dossier", refused.number)
    assert [e.action for e in history][-2:] in (["prerequisite.overridden", "dossier.state"],)
    evaluation = screening.preliminary_scores(session, user(session, "secretariat"), catalog, refused)
    assert evaluation.eligible and evaluation.total is not None
    session.commit()


def test_locked_criteria_set_is_refused_once_scoring_started(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="screened")
    admin = user(session, "admin")
    rounds.choose_criteria_set(session, admin, catalog, built.round, "standard", "hanoi-2023-standard")
    with pytest.raises(PermissionDeniedError, match="switch the criteria set of a product group needs the role "
                                                    "admin; secretariat is secretariat"):
        rounds.choose_criteria_set(session, user(session, "secretariat"), catalog, built.round, "standard",
                                   "hanoi-2023-standard")
    with pytest.raises(RecordError, match="covers 2018–2020, not 2023"):
        rounds.choose_criteria_set(session, admin, catalog, built.round, "standard", "hanoi-2018-standard")
    rounds.start_scoring(session, admin, built.round)
    with pytest.raises(LockedError, match="switch the criteria set of a product group is done in the "
                                          "registration or screening phase; the 2023 round is in the scoring "
                                          "phase: that phase is over for this round"):
        rounds.choose_criteria_set(session, admin, catalog, built.round, "standard", "hanoi-2023-standard")
    assert [e.action for e in audit.entries_for(session, "round", built.round.id)][-2:] == [
        "round.criteria_set_chosen", "round.phase"]


def test_a_set_switch_needs_a_reason_written_on_the_services_own_audit_entry(session: Any, catalog: Catalog) -> None:
    from backoffice_helpers import ALT_SET, alt_catalog

    built = small_round(session, catalog, stop_after="registered")
    catalog = alt_catalog()  # a second 2023 standard set installed after the round was created
    admin = user(session, "admin")
    count = session.scalar(select(func.count()).select_from(AuditEntry))
    for blank in (None, "", "   "):
        with pytest.raises(RecordError, match="a written reason for switching the standard criteria set is "
                                              "required"):
            rounds.choose_criteria_set(session, admin, catalog, built.round, "standard", ALT_SET, reason=blank)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == count
    rounds.choose_criteria_set(session, admin, catalog, built.round, "standard", ALT_SET,
                               reason="  Bảng điểm chính thức đã ban hành ")
    entries = audit.entries_for(session, "round", built.round.id)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == count + 1  # one entry, not two
    assert entries[-1].action == "round.criteria_set_chosen"
    assert entries[-1].reason == "Bảng điểm chính thức đã ban hành"
    assert entries[-1].after["criteria_set"] == ALT_SET
    assert entries[-1].before["criteria_set"] == "hanoi-2023-standard"
    # choosing the set already in use changes nothing and needs no reason
    rounds.choose_criteria_set(session, admin, catalog, built.round, "standard", ALT_SET)
    assert audit.entries_for(session, "round", built.round.id)[-1].reason is None
    assert audit.verify(session).ok
    session.commit()


def test_a_set_switch_is_refused_while_submitted_dossiers_do_not_meet_the_new_set(session: Any, catalog: Catalog
                                                                                  ) -> None:
    """Switching during registration checked nothing: submitted dossiers could lack what the new set requires."""
    from spcncl_core import hookimpl, load_catalog
    from spcncl_core.plugins import get_plugin_manager

    class Stricter:
        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            registry.add_document({"id": "hanoi-2023-standard-strict", "extends": "hanoi-2023-standard",
                                   "provenance": "draft", "title": {"vi": "Bộ tiêu chí 2023 (thêm số liệu)"},
                                   "inputs": [{"id": "export_markets", "type": "integer", "required": True,
                                               "label": {"vi": "Số thị trường xuất khẩu"}}]}, "test:strict")

    pm = get_plugin_manager()
    pm.register(Stricter(), name="test-strict")
    strict = load_catalog(pm)
    built = small_round(session, catalog, stop_after="registered")
    admin = user(session, "admin")
    submitted = sorted(d.number for d in built.dossiers if d.state == "submitted" and d.product_group == "standard")
    assert submitted
    count = session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(RecordError, match=rf"{len(submitted)} submitted standard dossiers do not meet "
                                          rf"hanoi-2023-standard-strict: {submitted[0]} \(inputs.export_markets: "
                                          r"required input is missing\).*return them to draft"):
        rounds.choose_criteria_set(session, admin, strict, built.round, "standard", "hanoi-2023-standard-strict",
                                   reason="Thêm chỉ tiêu")
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == count
    assert {c.criteria_set_id for c in built.round.criteria_sets} == {"hanoi-2023-standard", "hanoi-2023-high-tech"}
    session.rollback()


def test_conflicted_member_cannot_score(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    member = scoring.get_member(session, built.round, "M01")
    conflicted = [d for d in built.dossiers if d.state == "preliminarily_scored"][-1]
    with pytest.raises(PermissionDeniedError, match=f"declared a conflict with dossier {conflicted.number} and "
                                                    "cannot score it"):
        scoring.form_for(session, user(session, "member01"), catalog, member, conflicted)
    with pytest.raises(DossierError, match="declared a conflict"):
        scoring.import_scores(session, user(session, "secretariat"), catalog, built.round,
                              [("M01", conflicted.number, "KT1", 5)])


def test_scores_are_checked_and_a_stale_concurrent_edit_is_refused(session: Any, catalog: Catalog,
                                                                    engine: Any) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored")
    member = next(m for m in (scoring.get_member(session, built.round, f"M0{i}") for i in range(1, 6))
                  if scoring.assigned_criteria(session, catalog, m, dossier))
    criterion = scoring.assigned_criteria(session, catalog, member, dossier)[0]
    me = member.user
    form = scoring.form_for(session, me, catalog, member, dossier)
    session.commit()
    with pytest.raises(DossierError) as info:
        scoring.save_scores(session, me, catalog, member, dossier, {criterion: "7.3", "ZZ9": 1}, form.version)
    assert [str(p) for p in info.value.problems] == [f"{criterion}: must be in steps of 0.5, got 7.3",
                                                     "ZZ9: not assigned to " + member.name + "; assigned: "
                                                     + ", ".join(scoring.assigned_criteria(session, catalog, member,
                                                                                           dossier))]
    # two people open the same form; the first saves; the second's save is refused, not merged
    other = make_session_factory(engine)()
    try:
        dossier_b = other.get(Dossier, dossier.id)
        member_b = scoring.get_member(other, dossier_b.round, member.code)
        form_b = scoring.form_for(other, member_b.user, catalog, member_b, dossier_b)
        version_b = form_b.version
        scoring.save_scores(session, me, catalog, member, dossier, {criterion: 1}, form.version)
        session.commit()
        with pytest.raises(StaleEditError, match="changed"):
            scoring.save_scores(other, member_b.user, catalog, member_b, dossier_b, {criterion: 2}, version_b)
        other.rollback()
    finally:
        other.close()
    with pytest.raises(StaleEditError, match=r"changed elsewhere \(version 2, you edited version 1\)"):
        scoring.save_scores(session, me, catalog, member, dossier, {criterion: 3}, 1)
    # submitting locks the form
    everything = {c: 1 for c in scoring.assigned_criteria(session, catalog, member, dossier)}
    form = scoring.save_scores(session, me, catalog, member, dossier, everything, 2)
    scoring.submit_form(session, me, catalog, member, dossier)
    with pytest.raises(LockedError, match=f"form for dossier {dossier.number} was submitted and is locked"):
        scoring.save_scores(session, me, catalog, member, dossier, everything, form.version)
    session.commit()


def test_member_sees_only_own_forms_until_scoring_closes(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scored")
    member = scoring.get_member(session, built.round, "M02")
    seen = scoring.forms_visible_to(session, member)
    assert len({f.member_id for f in seen}) == 5  # scoring closed: every form of the round
    built.round.scoring_closed_at = None
    assert {f.member_id for f in scoring.forms_visible_to(session, member)} == {member.id}
    session.rollback()


def test_coverage_gap_blocks_closing(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    session.execute(text("DELETE FROM assignment WHERE criterion_id = 'KT1'"))
    assert ("HN-2023-0001", "KT1") in scoring.assignment_gaps(session, catalog, built.round)
    with pytest.raises(RecordError, match=r"scoring cannot close: \d+ criteria of eligible dossiers have no "
                                          r"submitted scoring form \(HN-2023-\d{4} KT1"):
        scoring.close_scoring(session, user(session, "secretariat"), catalog, built.round)
    session.rollback()


def test_unresolved_comment_holds_recognition(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="published")
    published = [d for d in built.dossiers if d.state == "published"]
    pub = publication.publication_of(session, built.round)
    comment = publication.submit_comment(session, None, published[1], "Lê C", "Sản phẩm có nhập khẩu nguyên chiếc?",
                                         now=pub.published_at + timedelta(days=9))
    with pytest.raises(LockedError, match="comments on the 2023 results were open from 14/11/2023 to 24/11/2023"):
        publication.submit_comment(session, None, published[1], "Lê C", "Muộn",
                                   now=pub.published_at + timedelta(days=11))
    secretariat, admin = user(session, "secretariat"), user(session, "admin")
    publication.close_comments(session, secretariat, built.round, now=pub.comments_until + timedelta(minutes=1))
    with pytest.raises(LockedError, match=rf"recognition is held: unresolved comments on {published[1].number} "
                                          rf"\(comment {comment.id}\)"):
        recognition.decide(session, admin, catalog, built.round, "1/QĐ-UBND", date(2023, 11, 26))
    publication.request_explanation(session, secretariat, comment)
    publication.record_explanation(session, secretariat, comment, "Sản xuất trong nước, có hồ sơ chứng minh.")
    publication.resolve_comment(session, secretariat, comment, "kept", "Giải trình hợp lý.")
    decision, certificates = recognition.decide(session, admin, catalog, built.round, "1/QĐ-UBND",
                                                date(2023, 11, 26))
    assert certificates and decision.number == "1/QĐ-UBND"
    session.commit()


def test_certificates_expire_and_are_revoked_with_a_reason(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog)
    admin = user(session, "admin")
    with pytest.raises(RecordError, match="a revocation's reason is required"):
        recognition.revoke(session, admin, "HANOI-2023-002", " ", today=date(2024, 1, 1))
    recognition.revoke(session, admin, "hanoi-2023-002", "Số liệu kê khai không trung thực", today=date(2024, 1, 1))
    assert recognition.check_certificate(session, "HANOI-2023-002").status == "revoked"
    expired = recognition.expire(session, admin, built.round, date(2026, 11, 27))
    assert "HANOI-2023-002" not in [c.number for c in expired] and expired
    assert recognition.check_certificate(session, "HANOI-2023-001", today=date(2026, 11, 27)).status == "expired"
    assert {c.dossier.state for c in expired} == {"expired"}
    with pytest.raises(RecordError, match="no certificate numbered HANOI-1999-001"):
        recognition.check_certificate(session, "HANOI-1999-001")
    session.commit()


def test_tampered_or_deleted_audit_entries_are_detected(session: Any, catalog: Catalog, tamper: Any) -> None:
    small_round(session, catalog, stop_after="screened")
    assert audit.verify(session).ok
    target = session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.state").limit(1))
    session.commit()
    tamper("UPDATE audit_entry SET actor = 'someone-else' WHERE seq = :seq", seq=target.seq)
    session.expire_all()
    report = audit.verify(session)
    assert not report.ok
    assert report.problems == (f"entry {target.seq} (dossier.state dossier {target.entity_id}): content was edited "
                               "after it was written (or the entry was forged without the audit key)",)
    tamper("DELETE FROM audit_entry WHERE seq = :seq", seq=target.seq + 1)
    session.expire_all()
    problems = audit.verify(session).problems
    assert f"entries {target.seq + 1}–{target.seq + 1} are missing (deleted?)" in problems


def test_triangulation_flags_large_gaps(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scored")
    dossier = next(d for d in built.dossiers if d.state in ("preliminarily_scored", "council_scored"))
    rows = results.triangulation(session, catalog, dossier, margin=Decimal("0.25"))
    assert [r.criterion_id for r in rows][:2] == ["KT1", "KT2"]
    flagged = [r for r in rows if r.flags]
    assert flagged and all("vs preliminary" in f for r in flagged for f in r.flags)


def test_draft_edits_and_submission_checks(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="registered")
    secretariat = user(session, "secretariat")
    enterprise = dossiers.enterprise(session, secretariat, "0100000001", "Công ty thử")
    product = dossiers.product(session, secretariat, enterprise, "Sản phẩm thử")
    draft = dossiers.register(session, secretariat, built.round, product, "HN-2023-9999",
                              {"product_revenue": "nhiều"})
    with pytest.raises(DossierError) as info:
        dossiers.submit(session, secretariat, catalog, draft)
    assert "inputs.product_revenue: must be a number, got 'nhiều'" in [str(p) for p in info.value.problems]
    assert draft.state == "draft"
    dossiers.update(session, secretariat, draft, draft.version, inputs=dict(built.dossiers[0].inputs))
    session.commit()
    with pytest.raises(StaleEditError, match="changed by someone else"):
        dossiers.update(session, secretariat, draft, 1, inputs={})
    dossiers.submit(session, secretariat, catalog, draft)
    assert draft.state == "submitted"
    with pytest.raises(LockedError, match="only a draft can be edited"):
        dossiers.update(session, secretariat, draft, draft.version, inputs={})
    session.commit()


def test_import_scores_is_all_or_nothing(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored")
    member = next(m for m in (scoring.get_member(session, built.round, f"M0{i}") for i in range(2, 6))
                  if scoring.assigned_criteria(session, catalog, m, dossier))
    criterion = scoring.assigned_criteria(session, catalog, member, dossier)[0]
    whole = [(member.code, dossier.number, c, 1) for c in scoring.assigned_criteria(session, catalog, member, dossier)]
    rows = [(member.code, dossier.number, criterion, 99), ("M99", dossier.number, "KT1", 1), *whole[1:]]
    with pytest.raises(DossierError) as info:
        scoring.import_scores(session, user(session, "secretariat"), catalog, built.round, rows)
    cset = rounds.criteria_set_for(session, catalog, built.round, dossier.product_group)
    assert [str(p) for p in info.value.problems] == [
        f"row 1: must be between 0 and {cset.criterion(criterion).max_points.normalize():f}, got 99",
        "row 2: unknown member M99"]
    assert scoring.round_scores(session, built.round) == {}
    assert scoring.import_scores(session, user(session, "secretariat"), catalog, built.round, whole) == 1


def test_results_are_replaced_not_duplicated(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="results")
    results.compute_results(session, user(session, "secretariat"), catalog, built.round)
    session.commit()
    count = len(session.scalars(select(Result)).all())
    assert count == len(built.dossiers)
    assert isinstance(built.round.created_at, datetime)


def test_a_hue_round_averages_members_totals(session: Any, catalog: Catalog) -> None:
    """Another province's rules through the whole records layer: six manual criteria, mean of members' totals,
    pass at 65 or more."""
    from spcncl_core.demo import create_demo_users

    people = {u.username: u for u in create_demo_users(session)}
    secretariat = people["secretariat"]
    round_ = rounds.create_round(session, people["admin"], catalog, "hue", 2023, "Huế 2023")
    assert [(c.product_group, c.criteria_set_id) for c in round_.criteria_sets] == [("local", "hue-2021")]
    enterprise = dossiers.enterprise(session, secretariat, "3300000001", "Công ty Huế")
    claims = {"TTH-1": {"H1": 8, "H2": 16, "H3": 9, "H4": 14, "H5": 11, "H6": 20},
              "TTH-2": {"H1": 5, "H2": 10, "H3": 6, "H4": 9, "H5": 8, "H6": 15}}
    registered = [dossiers.register(session, secretariat, round_,
                                    dossiers.product(session, secretariat, enterprise, number), number, {}, claim)
                  for number, claim in claims.items()]
    for dossier in registered:
        dossiers.submit(session, secretariat, catalog, dossier)
    rounds.open_screening(session, secretariat, round_)
    for dossier in registered:
        assert screening.screen(session, secretariat, catalog, dossier)
        screening.preliminary_scores(session, secretariat, catalog, dossier)
    members = [scoring.add_member(session, secretariat, round_, f"H{m}", f"Thành viên {m}",
                                  user=people[f"member0{m}"]) for m in (1, 2, 3)]
    for member in members:
        scoring.assign(session, secretariat, catalog, round_, "local", [f"H{i}" for i in range(1, 7)], member)
    rounds.start_scoring(session, secretariat, round_)
    given = {"H1": [{"H1": 8, "H2": 15, "H3": 9, "H4": 13, "H5": 10, "H6": 19},    # total 74
                    {"H1": 7, "H2": 14, "H3": 8, "H4": 12, "H5": 10, "H6": 18},    # total 69
                    {"H1": 6.5, "H2": 13, "H3": 8, "H4": 12, "H5": 9, "H6": 16.5}],  # total 65
             "H2": [{f"H{i}": 5 for i in range(1, 7)}] * 3}                         # total 30 each
    for number in claims:
        dossier = dossiers.get(session, round_, number)
        points = given["H1"] if number == "TTH-1" else given["H2"]
        for member, member_points in zip(members, points):
            form = scoring.form_for(session, member.user, catalog, member, dossier)
            scoring.save_scores(session, member.user, catalog, member, dossier, member_points, form.version)
            scoring.submit_form(session, member.user, catalog, member, dossier)
    scoring.close_scoring(session, secretariat, catalog, round_)
    results.compute_results(session, secretariat, catalog, round_)
    stored = {d.number: r for d, r in results.round_results(session, round_)}
    assert stored["TTH-1"].total == Decimal("69.33") and stored["TTH-1"].passed  # (74 + 69 + 65) / 3 ≥ 65
    assert stored["TTH-2"].total == 30 and not stored["TTH-2"].passed
    assert stored["TTH-1"].position == 1 and stored["TTH-1"].content_hash == catalog.get("hue-2021").content_hash
    session.commit()


def test_results_published_event_reaches_plugins(session: Any, pm: Any, register: Any) -> None:
    from spcncl_core import hookimpl, load_catalog

    class Portal:
        def __init__(self) -> None:
            self.posted: list[tuple[int, int]] = []

        @hookimpl
        def results_published(self, catalog: Any, round: Any, publication: Any) -> None:  # noqa: A002
            self.posted.append((round.year, len(publication.snapshot)))

    portal = register(Portal(), "portal")
    catalog = load_catalog(pm)
    small_round(session, catalog, stop_after="published")
    assert portal.posted == [(2023, 10)]
