"""Every write service, called by every role in every phase of a round, answers as the policy table says: refused
with the policy's own reason (and nothing written) where the table says no, never refused by the policy where it
says yes. Each phase's round is built once; every call runs in a savepoint that is rolled back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from spcncl_core import Catalog
from spcncl_core.db.models import (
    Certificate,
    Comment,
    CouncilMember,
    Dossier,
    DossierDocument,
    Enterprise,
    Product,
    RecognitionDecision,
    User,
)
from spcncl_core.demo import build_round
from spcncl_core.errors import PermissionDeniedError, PhaseError
from spcncl_core.services import (
    audit,
    documents,
    dossiers,
    policy,
    publication,
    recognition,
    registration,
    results,
    rounds,
    scoring,
    screening,
    users,
)

SMALL = dict(enterprises=4, eligible=5, recognised=4, ineligible=1, members=4, high_tech=1)
BUILT_UP_TO = {"registration": "registered", "screening": "screened", "scoring": "scoring", "results": "scored",
               "publication": "published", "decision": "published", "closed": "recognised"}
ROLE_USERS = {"admin": "admin", "secretariat": "secretariat", "council": "member01", "viewer": "viewer",
              "public": None}


def _phase_round(session: Any, catalog: Catalog, phase: str) -> dict[str, Any]:
    """A small round in `phase`, with a record in each state a service acts on (added directly where the
    procedure has moved past it), committed."""
    built = build_round(session, catalog, stop_after=BUILT_UP_TO[phase], **SMALL)
    round_ = built.round
    if phase == "decision":
        publication.close_comments(session, _user(session, "secretariat"), round_, now=datetime(2023, 11, 25))
    session.commit()
    assert round_.phase == phase
    template = built.dossiers[0]
    enterprise = session.scalar(select(Enterprise).limit(1))
    extra = {}
    for state in ("draft", "submitted", "eligible"):
        product = Product(enterprise=enterprise, name=f"Sản phẩm {state}")
        extra[state] = Dossier(round=round_, product=product, number=f"HN-2023-{state}", state=state,
                               product_group=None if state == "draft" else template.product_group,
                               inputs=dict(template.inputs), self_assessment={})
        session.add(extra[state])
    spare = Product(enterprise=enterprise, name="Sản phẩm chưa đăng ký")
    session.add(spare)
    session.flush()
    screened = next((d for d in built.dossiers if d.checks), extra["eligible"])
    comment = Comment(dossier_id=template.id, author="Người dân", text="Góp ý", state="open")
    session.add(comment)
    certificate = session.scalar(select(Certificate).limit(1))
    if certificate is None:
        decision = RecognitionDecision(round_id=round_.id, number="THU-1", decided_on=date(2023, 11, 26))
        session.add(decision)
        session.flush()
        certificate = Certificate(number="HANOI-2023-999", dossier_id=template.id, decision_id=decision.id,
                                  valid_from=date(2023, 11, 26), valid_until=date(2026, 11, 26))
        session.add(certificate)
    document = DossierDocument(dossier_id=template.id, kind="application_form", title="Đơn đăng ký",
                               received_on=date(2023, 3, 1), recorded_by="secretariat")
    session.add(document)
    session.commit()
    members = {m.code: m for m in session.scalars(select(CouncilMember).where(CouncilMember.round_id == round_.id))}
    m01 = members.get("M01")
    if m01 is None:  # the council is set up after registration: add one for the calls that need a member
        m01 = CouncilMember(round_id=round_.id, code="M01", name="Thành viên 01", role="member", voting=True,
                            user=_user(session, "member01"))
        session.add(m01)
        session.commit()
    mine = [d for d in built.dossiers if d.state in ("preliminarily_scored", "council_scored")
            and scoring.assigned_criteria(session, catalog, m01, d)
            and not any(c.member_id == m01.id and c.dossier_id == d.id for c in _conflicts(session))]
    published = next((d for d in built.dossiers if d.state == "published"), template)
    return {"round": round_, "extra": extra, "spare": spare, "screened": screened, "comment": comment,
            "certificate": certificate, "m01": m01, "mine": mine[0] if mine else template, "published": published,
            "template": template, "enterprise": enterprise, "document": document}


def _user(session: Any, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def _conflicts(session: Any) -> list[Any]:
    from spcncl_core.db.models import Conflict

    return list(session.scalars(select(Conflict)))


def _form_version(session: Any, member: Any, dossier: Any) -> int:
    from spcncl_core.db.models import ScoringForm

    form = session.scalar(select(ScoringForm).where(ScoringForm.member_id == member.id,
                                                    ScoringForm.dossier_id == dossier.id))
    return form.version if form is not None else 1


def _calls(session: Any, catalog: Catalog, c: dict[str, Any]) -> dict[str, Callable[[Any], object]]:
    """One call per action of the policy, for an actor."""
    r, x = c["round"], c["extra"]
    check = next((k.prerequisite_id for k in c["screened"].checks), "P1")
    return {
        "user.create": lambda a: users.create_user(session, a, "walker", "Người mới", "viewer", "a-long-password"),
        "user.update": lambda a: users.update_user(session, a, _user(session, "viewer"), name="Người xem mới"),
        "user.change_own_password": lambda a: users.change_password(session, a, "demo-password",
                                                                    "another-password"),
        "enterprise.save": lambda a: dossiers.enterprise(session, a, "0109999999", "Công ty mới"),
        "product.save": lambda a: dossiers.product(session, a, c["enterprise"], "Sản phẩm mới"),
        "round.create": lambda a: rounds.create_round(session, a, catalog, "hanoi", 2024, "Vòng 2024"),
        "round.choose_criteria_set": lambda a: rounds.choose_criteria_set(
            session, a, catalog, r, c["template"].product_group, r.criteria_sets[0].criteria_set_id
            if r.criteria_sets[0].product_group == c["template"].product_group
            else r.criteria_sets[1].criteria_set_id),
        "round.open_screening": lambda a: rounds.open_screening(session, a, r),
        "dossier.register": lambda a: dossiers.register(session, a, r, c["spare"], "HN-2023-new", {}),
        "dossier.update": lambda a: dossiers.update(session, a, x["draft"], x["draft"].version, inputs={}),
        "dossier.submit": lambda a: dossiers.submit(session, a, catalog, x["draft"]),
        "dossier.return_to_draft": lambda a: dossiers.move(session, a, x["submitted"], "draft", "sửa hồ sơ"),
        "document.record": lambda a: documents.record_document(session, a, c["template"], "patent",
                                                               date(2023, 3, 2), "Bằng sáng chế"),
        "document.unrecord": lambda a: documents.unrecord_document(session, a, c["document"], "ghi nhầm"),
        "dossier.screen": lambda a: screening.screen(session, a, catalog, x["submitted"]),
        "prerequisite.override": lambda a: screening.override(session, a, c["screened"], check, True, "Có văn bản"),
        "dossier.preliminary_score": lambda a: screening.preliminary_scores(session, a, catalog, x["eligible"]),
        "council.add_member": lambda a: scoring.add_member(session, a, r, "M77", "Thành viên mới"),
        "council.assign": lambda a: scoring.assign(session, a, catalog, r, c["template"].product_group, [],
                                                   c["m01"]),
        "council.unassign": lambda a: scoring.unassign(session, a, catalog, r, c["template"].product_group,
                                                       ["KT1"], c["m01"], "Đổi người chấm"),
        "council.declare_conflict": lambda a: scoring.declare_conflict(session, a, c["m01"], c["mine"], "Người nhà"),
        "round.start_scoring": lambda a: rounds.start_scoring(session, a, r),
        "form.open": lambda a: scoring.form_for(session, a, catalog, c["m01"], c["mine"]),
        "form.save": lambda a: scoring.save_scores(session, a, catalog, c["m01"], c["mine"], {},
                                                   _form_version(session, c["m01"], c["mine"])),
        "form.submit": lambda a: scoring.submit_form(session, a, catalog, c["m01"], c["mine"]),
        "scores.import": lambda a: scoring.import_scores(session, a, catalog, r, []),
        "round.close_scoring": lambda a: scoring.close_scoring(session, a, catalog, r),
        "results.compute": lambda a: results.compute_results(session, a, catalog, r),
        "results.publish": lambda a: publication.publish(session, a, catalog, r),
        "comment.submit": lambda a: publication.submit_comment(session, a, c["published"], "Tác giả", "Nội dung",
                                                               now=datetime(2023, 11, 15)),
        "comment.request_explanation": lambda a: publication.request_explanation(session, a, c["comment"]),
        "comment.record_explanation": lambda a: publication.record_explanation(session, a, c["comment"], "Giải trình"),
        "comment.resolve": lambda a: publication.resolve_comment(session, a, c["comment"], "kept", "Giữ nguyên"),
        "round.reopen_scoring": lambda a: scoring.reopen_scoring(session, a, r, [c["published"].number], "Chấm lại"),
        "round.close_comments": lambda a: publication.close_comments(session, a, r),
        "recognition.decide": lambda a: recognition.decide(session, a, catalog, r, "99/QĐ-UBND", date(2023, 12, 1)),
        "certificate.expire": lambda a: recognition.expire(session, a, r, date(2030, 1, 1)),
        "certificate.revoke": lambda a: recognition.revoke(session, a, c["certificate"].number, "Vi phạm",
                                                           today=date(2024, 1, 1)),
    }


def _is_policy_refusal(exc: Exception) -> bool:
    text = str(exc)
    return isinstance(exc, PermissionDeniedError | PhaseError) and (" needs the role " in text
                                                                     or " phase; the " in text
                                                                     or text.endswith(" is inactive"))


@pytest.mark.parametrize("phase", policy.PHASES)
def test_every_service_answers_every_role_as_the_policy_says(session: Any, catalog: Catalog, phase: str) -> None:
    context = _phase_round(session, catalog, phase)
    calls = _calls(session, catalog, context)
    assert set(calls) == set(policy.POLICY), "every action of the policy has a call here, and only those"
    wrong = []
    for role, username in ROLE_USERS.items():
        for action, call in calls.items():
            actor = _user(session, username) if username else None
            verdict = policy.may(actor, action, context["round"])
            entries = audit.count(session)
            savepoint = session.begin_nested()
            try:
                call(actor)
                outcome: Exception | None = None
            except Exception as exc:  # noqa: BLE001 - classified below
                outcome = exc
            written = audit.count(session) - entries
            savepoint.rollback()
            session.expire_all()
            if verdict:
                if outcome is not None and _is_policy_refusal(outcome):
                    wrong.append(f"{phase} {role} {action}: allowed by the table, refused: {outcome}")
            else:
                expected = PhaseError if verdict.kind == "phase" else PermissionDeniedError
                if not isinstance(outcome, expected) or str(outcome) != verdict.reason:
                    wrong.append(f"{phase} {role} {action}: the table says {verdict.reason!r}; got {outcome!r}")
                elif written:
                    wrong.append(f"{phase} {role} {action}: refused but wrote {written} audit entries")
    assert not wrong, "\n".join(wrong)


WALKED = {
    "users.create_user", "users.update_user", "users.change_password", "dossiers.enterprise", "dossiers.product",
    "rounds.create_round", "rounds.choose_criteria_set", "rounds.open_screening", "dossiers.register",
    "dossiers.update", "dossiers.submit", "dossiers.move", "screening.screen", "screening.override",
    "screening.preliminary_scores", "scoring.add_member", "scoring.assign", "scoring.unassign",
    "scoring.declare_conflict", "rounds.start_scoring", "scoring.form_for", "scoring.save_scores",
    "scoring.submit_form", "scoring.import_scores",
    "scoring.close_scoring", "results.compute_results", "publication.publish", "publication.submit_comment",
    "publication.request_explanation", "publication.record_explanation", "publication.resolve_comment",
    "scoring.reopen_scoring", "publication.close_comments", "recognition.decide", "recognition.expire",
    "recognition.revoke", "documents.record_document", "documents.unrecord_document",
}
# steps called after a check; registration.authorize: the check itself, walked with register_many below
STEPS_OF_SERVICES = {"dossiers.apply_move", "dossiers.apply_many", "dossiers.apply_many_rows", "rounds.set_phase",
                     "registration.authorize"}
# bulk services asking the policy for walked actions: register_many is walked by the test below, screen_round's
# refusals are tested beside it (test_bulk_services.py)
BULK_OF_WALKED = {"screening.screen_round", "registration.register_many"}


def test_every_write_service_takes_the_actor_second_and_is_walked() -> None:
    """A new write service must take `actor` right after the session, and join the walk above (and the policy)."""
    import importlib
    import inspect
    import pkgutil

    import spcncl_core.services as package

    found = set()
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in ("audit", "policy", "checks"):
            continue
        module = importlib.import_module(f"spcncl_core.services.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters)
            if "actor" in parameters:
                assert parameters[:2] == ["session", "actor"], f"{info.name}.{name}{parameters}"
                found.add(f"{info.name}.{name}")
    assert found - STEPS_OF_SERVICES - BULK_OF_WALKED == WALKED


@pytest.mark.parametrize("phase", policy.PHASES)
def test_bulk_registration_answers_every_role_as_its_actions_do(session: Any, catalog: Catalog, phase: str) -> None:
    """`registration.register_many` (the Excel bulk sheet) is allowed exactly when every action it performs is:
    saving enterprises and products, registering and submitting dossiers; refused with the first refusal's words."""
    context = _phase_round(session, catalog, phase)
    round_ = context["round"]
    entry = registration.Entry("0109999998", "Công ty Bảng tính", "Sản phẩm mới", {})
    wrong = []
    for role, username in ROLE_USERS.items():
        actor = _user(session, username) if username else None
        verdicts = [policy.may(actor, action, round_ if action.startswith("dossier.") else None)
                    for action in ("enterprise.save", "product.save", "dossier.register", "dossier.submit")]
        refused = next((v for v in verdicts if not v), None)
        entries = audit.count(session)
        savepoint = session.begin_nested()
        try:
            registration.register_many(session, actor, catalog, round_, [entry])
            outcome: Exception | None = None
        except Exception as exc:  # noqa: BLE001 - classified below
            outcome = exc
        written = audit.count(session) - entries
        savepoint.rollback()
        session.expire_all()
        if refused is None:
            if outcome is not None and _is_policy_refusal(outcome):
                wrong.append(f"{phase} {role}: allowed by the table, refused: {outcome}")
        elif not _is_policy_refusal(outcome) or str(outcome) != refused.reason:  # type: ignore[arg-type]
            wrong.append(f"{phase} {role}: the table says {refused.reason!r}; got {outcome!r}")
        elif written:
            wrong.append(f"{phase} {role}: refused but wrote {written} audit entries")
    assert not wrong, "\n".join(wrong)
