"""Which role may do what in the back office.

A thin adapter: the records layer's one role × action × round-phase policy table is the authority, and the services
check it again on every write. This module only decides what the pages show (menus, buttons) and refuses early.
"""

from __future__ import annotations

STAFF = ("admin", "secretariat", "viewer")  # who reads the staff screens
WRITERS = ("admin", "secretariat")

# action → roles allowed (the services check the round's phase themselves)
ACTIONS: dict[str, tuple[str, ...]] = {
    "read": STAFF,
    "user.manage": ("admin",),
    "round.switch_criteria_set": ("admin",),
    "round.start_scoring": WRITERS,
    "round.close_scoring": WRITERS,
    "results.compute": WRITERS,
    "results.publish": ("admin",),
    "recognition.decide": ("admin",),
    "certificate.revoke": ("admin",),
    "dossier.register": WRITERS,
    "dossier.submit": WRITERS,
    "dossier.screen": WRITERS,
    "dossier.override": WRITERS,
    "dossier.preliminary": WRITERS,
    "council.manage": WRITERS,
    "comment.handle": WRITERS,
    "audit.verify": STAFF,
    "score.own": ("council",),
}


def can(role: str | None, action: str) -> bool:
    """Whether a user with `role` may do `action` (unknown actions: nobody)."""
    return role is not None and role in ACTIONS.get(action, ())
