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
from spcncl_core.errors import DuplicateError, NotFoundError, PermissionDeniedError, RecordError
from spcncl_core.services import audit, checks
from spcncl_core.services.policy import actor_name, require

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


def _password(password: str) -> str:
    if not isinstance(password, str) or len(password) < 8:
        raise RecordError("a password needs at least 8 characters")
    if "\x00" in password or len(password) > 1000:
        raise RecordError("a password holds a NUL character or is longer than 1000 characters")
    return password


def _role(role: str) -> str:
    if role not in ROLES:
        raise RecordError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def create_user(session: Session, actor: User | None, username: str, name: str, role: str, password: str | None,
                *, password_hash: str | None = None) -> User:
    """Add a user with one of the roles admin, secretariat, council, viewer (admins only). With no user in the
    database yet, the first one (an admin) is created by nobody: `actor` None. Give the password, or (accounts
    moved from elsewhere, the demo's) its `hash_password` hash instead."""
    username = checks.text(username, User.username, "user name") or ""
    name = checks.text(name, User.name, "name") or ""
    _role(role)
    if (password is None) == (password_hash is None):
        raise RecordError("give a password or its hash, not both nor neither")
    if password_hash is not None and (not isinstance(password_hash, str) or len(password_hash.split("$")) != 6
                                      or not password_hash.startswith("scrypt$")):
        raise RecordError("a password hash is the text hash_password makes (scrypt$N$r$p$salt$hash)")
    if password is not None:
        _password(password)
    first = actor is None and session.scalar(select(User.id).limit(1)) is None
    if first:
        if role != "admin":
            raise PermissionDeniedError("the first user of a database must be an admin")
    else:
        require(session, actor, "user.create")
    if session.scalar(select(User.id).where(User.username == username)):
        raise DuplicateError(f"user {username} exists already")
    user = User(username=username, name=name, role=role, active=True,
                password_hash=password_hash if password is None else hash_password(password))
    session.add(user)
    checks.flush(session, f"adding user {username}", savepoint=True)
    audit.record(session, "setup" if first else actor_name(actor), "user.created", "user", username,
                 after={"name": name, "role": role, "active": True})
    return user


def update_user(session: Session, actor: User, user: User, *, name: str | None = None, role: str | None = None,
                active: bool | None = None, password: str | None = None) -> User:
    """Change a user's name, role, active flag or password (admins only; an admin cannot demote or deactivate
    themself, so that a database always keeps an admin). Audited (never the password itself)."""
    require(session, actor, "user.update")
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = checks.text(name, User.name, "name")
    if role is not None:
        changes["role"] = _role(role)
    if active is not None:
        if not isinstance(active, bool):
            raise RecordError(f"active is true or false, not {active!r}")
        changes["active"] = active
    if user.id == actor.id and (changes.get("role", "admin") != "admin" or changes.get("active", True) is False):
        raise PermissionDeniedError("an admin cannot take away their own admin role or deactivate themself")
    changed = {k: v for k, v in changes.items() if getattr(user, k) != v}
    before = {k: getattr(user, k) for k in changed}
    for key, value in changed.items():
        setattr(user, key, value)
    if password is not None:
        user.password_hash = hash_password(_password(password))
    if not changed and password is None:
        return user
    checks.flush(session, f"changing user {user.username}")
    audit.record(session, actor_name(actor), "user.updated", "user", user.username, before=before,
                 after={**changed, **({"password": "changed"} if password is not None else {})})
    return user


def change_password(session: Session, actor: User, old_password: str, new_password: str) -> User:
    """A signed-in user changes their own password, giving the current one. Audited (never the password)."""
    user = require(session, actor, "user.change_own_password")
    assert user is not None
    if not isinstance(old_password, str) or not check_password(user.password_hash, old_password):
        raise PermissionDeniedError("the current password is not right")
    user.password_hash = hash_password(_password(new_password))
    checks.flush(session, f"changing the password of {user.username}")
    audit.record(session, actor_name(user), "user.password_changed", "user", user.username,
                 after={"password": "changed"})
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


def set_language(session: Session, user: User, language: str) -> None:
    """A user's own language in the back office: vi (the default) or en. Not audited: a display preference."""
    if language not in LANGUAGES:
        raise RecordError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    user.language = language
    checks.flush(session, f"changing the language of {user.username}")
