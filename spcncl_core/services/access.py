"""Who may do what: the roles of DOMAIN.md §2, checked against the back-office users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core.db.models import User
from spcncl_core.errors import PermissionDeniedError

ROLE_LABELS_VI = {"admin": "quản trị", "secretariat": "tổ công tác", "council": "thành viên hội đồng",
                  "viewer": "người xem"}


def require_role(session: Session, actor: str, roles: tuple[str, ...], doing: str) -> User:
    """The active user `actor`, who must hold one of `roles`; PermissionDeniedError otherwise."""
    user = session.scalar(select(User).where(User.username == actor))
    wanted = " or ".join(roles)
    if user is None or not user.active:
        raise PermissionDeniedError(f"{doing} needs an active user with the role {wanted}; '{actor}' is not one")
    if user.role not in roles:
        raise PermissionDeniedError(f"{doing} needs the role {wanted}; {user.username} is {user.role}")
    return user
