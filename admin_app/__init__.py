"""spcncl's back office and public pages: Flask + Flask-Admin over the records layer. Every write calls
`spcncl_core.services`; the pages only read the models. Installed as `spcncl_admin`.

    create_app(config=None)    the application factory (gunicorn: "spcncl_admin:create_app()")
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask, redirect, url_for
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from sqlalchemy import event

from spcncl_core import load_catalog

from . import i18n
from .config import from_environment
from .extensions import csrf, db, limiter


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """A new back-office application: settings from the environment, overridden by `config`."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(from_environment())
    if config:
        app.config.update(config)
    app.extensions["spcncl_catalog"] = app.config.get("SPCNCL_CATALOG") or load_catalog()

    db.init_app(app)
    with app.app_context():
        _database_setup(db.engine)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)

    from .auth import bp as auth_bp
    from .auth import init_login
    from .public import bp as public_bp

    init_login(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(public_bp)

    # one Admin per app (STYLE.md trap 2): a module-level one breaks the second app of a test run
    from .views import register_views
    from .views.home import HomeView

    admin = Admin(app, name=str(_l("Key industrial products")), theme=Bootstrap4Theme(swatch="default", fluid=True),
                  index_view=HomeView(name=_l("Home"), url="/admin", endpoint="admin"))
    register_views(admin, db)
    app.extensions["spcncl_catalog"].pm.hook.register_admin_views(admin=admin, db=db)

    from flask_babel import get_locale

    from .views.base import allowed
    from .views.labels import (
        PROVENANCE,
        actor_label,
        audit_label,
        audit_value,
        comment_state_label,
        diff_field,
        diff_label,
        diff_value,
        entity_label,
        group_label,
        member_role_label,
        option_label,
        phase_label,
        plugin_origin,
        role_label,
        state_label,
    )

    app.jinja_env.globals.update(allowed=allowed, get_locale=get_locale, group_label=group_label,
                                 role_label=role_label, state_label=state_label,
                                 provenance_label=lambda p: str(PROVENANCE.get(p, p)), phase_label=phase_label,
                                 diff_label=diff_label, option_label=option_label, audit_label=audit_label,
                                 audit_value=audit_value, comment_state_label=comment_state_label,
                                 actor_label=actor_label, entity_label=entity_label,
                                 member_role_label=member_role_label, plugin_origin=plugin_origin,
                                 diff_field=diff_field, diff_value=diff_value)

    from . import errors

    errors.init_app(app)

    @app.route("/")
    def root() -> Any:
        return redirect(url_for("public.index"))

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def _database_setup(engine: Any) -> None:
    """On SQLite: foreign keys on (STYLE.md trap 12) and a WAL journal so readers never wait for a writer."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
