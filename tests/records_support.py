"""Helpers shared by the records tests: a small demo round up to a step, and its users by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from spcncl_core import Catalog
from spcncl_core.db.models import User
from spcncl_core.demo import build_round

SMALL = dict(enterprises=4, eligible=5, recognised=4, ineligible=1, members=4, high_tech=1)


def small_round(session: Any, catalog: Catalog, stop_after: str = "recognised", **sizes: int) -> Any:
    """The demo round, small, built up to `stop_after` and committed."""
    built = build_round(session, catalog, stop_after=stop_after, **(SMALL | sizes))
    session.commit()
    return built


def user(session: Any, username: str) -> User:
    """A demo user by name."""
    found = session.scalar(select(User).where(User.username == username))
    assert found is not None, username
    return found
