"""What the back office shows and refuses early, read from the records layer's one policy table
(`spcncl_core.services.policy.POLICY`, role × action × round phase). The services check it again on every write.

Only reading is the back office's own rule: staff (admin, secretariat, viewer) read the staff screens; council
members see their own scoring forms; the public sees the public pages.
"""

from __future__ import annotations

from typing import Any

from spcncl_core.services.policy import POLICY, may

STAFF = ("admin", "secretariat", "viewer")  # who reads the staff screens


def can(user: Any, action: str, round_: Any = None) -> bool:
    """Whether `user` may do the policy's `action` (on `round_` in its current phase, when given; without a round,
    whether their role may do it at all, to show a button that the service may still refuse for the phase)."""
    rule = POLICY[action]
    if user is None or not getattr(user, "is_authenticated", True):
        return "public" in rule.roles
    if round_ is None or rule.phases is None:
        return user.role in rule.roles and (rule.phases is None or round_ is None)
    return bool(may(user, action, round_))


def why_not(user: Any, action: str, round_: Any) -> str:
    """The policy's reason for refusing `action` on `round_` now, in the page's language ('' when allowed)."""
    from .views.labels import verdict_text

    verdict = may(user, action, round_)
    return "" if verdict else verdict_text(verdict)
