"""Configuration from the environment: the database URL and the secret key, as gunicorn workers need them."""

from __future__ import annotations

import os
import secrets
from typing import Any

from spcncl_core.db.base import database_url


def from_environment() -> dict[str, Any]:
    """Settings read from SPCNCL_DATABASE_URL, SECRET_KEY (or SPCNCL_SECRET_KEY) and friends.

    Without a secret key a random one is made: fine for `make run`, but then sessions do not survive a restart and
    several gunicorn workers would not share sign-ins — production must set SECRET_KEY.
    """
    secret = os.environ.get("SECRET_KEY") or os.environ.get("SPCNCL_SECRET_KEY")
    secure = os.environ.get("SPCNCL_INSECURE_COOKIES", "") not in ("1", "true", "yes")
    return {
        "SECRET_KEY": secret or secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # cookies only over HTTPS in production; `make run` on http://127.0.0.1 sets SPCNCL_INSECURE_COOKIES=1
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Flask-Limiter: memory per process by default; several workers share limits through e.g. redis://
        "RATELIMIT_STORAGE_URI": os.environ.get("SPCNCL_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SPCNCL_SIGNIN_LIMIT": os.environ.get("SPCNCL_SIGNIN_LIMIT", "10 per minute"),
        "SPCNCL_COMMENT_LIMIT": os.environ.get("SPCNCL_COMMENT_LIMIT", "5 per hour"),
        "SPCNCL_COMMENT_MAX_LENGTH": 2000,
    }
