"""The permission policy: its table, the documentation printed from it, and the pure question a web layer asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spcncl_core.db.models import Round, User
from spcncl_core.errors import PermissionDeniedError
from spcncl_core.services import policy

DOC = Path(__file__).resolve().parent.parent / "docs" / "records.md"


def test_docs_print_the_policy_table_from_its_source() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = "<!-- policy-table:start -->\n", "<!-- policy-table:end -->"
    printed = text[text.index(start) + len(start):text.index(end)]
    assert printed == policy.policy_table_markdown(), "regenerate the table in docs/records.md from POLICY"


def test_every_rule_names_known_roles_and_phases() -> None:
    for action, rule in policy.POLICY.items():
        assert rule.roles and set(rule.roles) <= set(policy.ROLES), action
        assert rule.phases is None or (rule.phases and set(rule.phases) <= set(policy.PHASES)), action
    assert not any("viewer" in rule.roles for action, rule in policy.POLICY.items()
                   if action not in ("comment.submit", "user.change_own_password"))


def test_may_answers_without_a_database() -> None:
    round_ = Round(year=2023, phase="scoring")
    viewer = User(username="v", role="viewer", active=True)
    secretariat = User(username="s", role="secretariat", active=True)
    verdict = policy.may(viewer, "results.publish", round_)
    assert not verdict and verdict.kind == "role"
    assert verdict.reason == ("publish results and open the comment window needs the role admin or secretariat; "
                              "v is viewer")
    verdict = policy.may(secretariat, "results.publish", round_)
    assert not verdict and verdict.kind == "phase"
    assert verdict.reason.startswith("publish results and open the comment window is done in the results phase; the "
                                     "2023 round is in the scoring phase: first council scoring is closed")
    assert policy.may(secretariat, "scores.import", round_)
    assert not policy.may(None, "comment.submit", round_)
    assert policy.may(None, "comment.submit", Round(year=2023, phase="publication"))
    inactive = User(username="x", role="admin", active=False)
    assert policy.may(inactive, "user.create").reason == "user x is inactive"
    with pytest.raises(KeyError, match="no action 'nothing'"):
        policy.may(secretariat, "nothing")


def test_allowed_actions_list_the_buttons_that_will_work() -> None:
    council = User(username="m", role="council", active=True)
    assert policy.allowed_actions(council, Round(year=2023, phase="scoring")) == [
        "council.declare_conflict", "form.open", "form.save", "form.submit"]
    assert policy.allowed_actions(council) == ["user.change_own_password"]
    assert policy.allowed_actions(None, Round(year=2023, phase="publication")) == ["comment.submit"]
    viewer = User(username="v", role="viewer", active=True)
    assert policy.allowed_actions(viewer, Round(year=2023, phase="results")) == []


def test_a_user_that_is_not_stored_or_inactive_is_refused(session: Any) -> None:
    from spcncl_core.services import users

    admin = users.create_user(session, None, "root", "Quản trị", "admin", "a-long-password")
    ghost = User(username="ghost", name="Không có", role="admin", active=True)
    with pytest.raises(PermissionDeniedError, match="user 'ghost' does not exist"):
        users.create_user(session, ghost, "someone", "Ai đó", "viewer", "a-long-password")
    impostor = User(id=admin.id, username="root2", name="Giả", role="admin", active=True)
    with pytest.raises(PermissionDeniedError, match="user 'root2' does not exist"):
        users.create_user(session, impostor, "someone", "Ai đó", "viewer", "a-long-password")
    with pytest.raises(PermissionDeniedError, match="the actor must be a User record, not str 'root'"):
        users.create_user(session, "root", "someone", "Ai đó", "viewer", "a-long-password")  # type: ignore[arg-type]
    other = users.create_user(session, admin, "second", "Quản trị 2", "admin", "a-long-password")
    users.update_user(session, admin, other, active=False)
    with pytest.raises(PermissionDeniedError, match="user second is inactive"):
        users.create_user(session, other, "someone", "Ai đó", "viewer", "a-long-password")
    with pytest.raises(PermissionDeniedError, match="create a back-office user needs the role admin; nobody is "
                                                    "signed in"):
        users.create_user(session, None, "nobody", "Ai đó", "admin", "a-long-password")
    session.rollback()
