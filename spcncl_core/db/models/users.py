"""Users of the back office and their roles."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from spcncl_core.db.base import Base

ROLES = ("admin", "secretariat", "council", "viewer")


class User(Base):
    """A person who signs in: admin, secretariat (working group), council member or viewer."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(10))  # the back office's language; None: Vietnamese


class Setting(Base):
    """A database-wide setting, e.g. `purpose = demo` on a database `spcncl demo` built."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
