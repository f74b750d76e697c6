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
from spcncl_core.errors import RecordError
from spcncl_core.services import audit

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
