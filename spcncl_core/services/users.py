"""Back-office users: admin, secretariat, council, viewer. Passwords are kept as salted scrypt hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core.db.models import User
from spcncl_core.db.models.users import ROLES
from spcncl_core.errors import NotFoundError, PermissionDeniedError, RecordError
from spcncl_core.services import audit
from spcncl_core.services.access import require_role

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """A salted scrypt hash, as text: scrypt$N$r$p$salt$hash."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def check_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches a hash made by `hash_password`."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    computed = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(computed, base64.b64decode(digest))


def create_user(session: Session, actor: str, username: str, name: str, role: str, password: str) -> User:
    """Add a user with one of the roles admin, secretariat, council, viewer."""
    if role not in ROLES:
        raise RecordError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < 8:
        raise RecordError("a password needs at least 8 characters")
    if session.scalar(select(User).where(User.username == username)):
        raise RecordError(f"user {username} exists already")
    user = User(username=username, name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", "user", username, after={"name": name, "role": role})
    return user


LANGUAGES = ("vi", "en")


def get_user(session: Session, username: str) -> User:
    """A user by username."""
    found = session.scalar(select(User).where(User.username == username))
    if found is None:
        raise NotFoundError(f"no user {username}")
    return found


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None (the caller says only "wrong")."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active or not check_password(user.password_hash, password):
        return None
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """A user changes their own password: the current one must match; the new one needs 8 characters."""
    if not check_password(user.password_hash, current):
        raise PermissionDeniedError("the current password is wrong")
    if len(new) < 8:
        raise RecordError("a password needs at least 8 characters")
    user.password_hash = hash_password(new)
    session.flush()
    audit.record(session, user.username, "user.password_changed", "user", user.username)


def update_user(session: Session, actor: str, user: User, *, name: str | None = None, role: str | None = None,
                active: bool | None = None, password: str | None = None) -> User:
    """An admin changes a user's name, role, active flag or password; an admin cannot lock themselves out."""
    require_role(session, actor, ("admin",), "managing users")
    if role is not None and role not in ROLES:
        raise RecordError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if user.username == actor and (active is False or (role is not None and role != "admin")):
        raise RecordError("you cannot deactivate yourself or take away your own admin role")
    before = {"name": user.name, "role": user.role, "active": user.active}
    if name is not None and name.strip():
        user.name = name.strip()
    if role is not None:
        user.role = role
    if active is not None:
        user.active = active
    if password:
        if len(password) < 8:
            raise RecordError("a password needs at least 8 characters")
        user.password_hash = hash_password(password)
    session.flush()
    audit.record(session, actor, "user.updated", "user", user.username, before=before,
                 after={"name": user.name, "role": user.role, "active": user.active,
                        "password_reset": bool(password)})
    return user


def set_language(session: Session, user: User, language: str) -> None:
    """A user's language in the back office: vi (the default) or en."""
    if language not in LANGUAGES:
        raise RecordError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    user.language = language
    session.flush()
