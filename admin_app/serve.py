"""`make run`: migrate the database, build the demo if it has no round yet, print the accounts, serve the back office
at http://127.0.0.1:5000 (PORT= to change) with Flask's development server. Ctrl-C stops it.

Production uses gunicorn instead (see the README): `gunicorn -w 4 'spcncl_admin:create_app()'`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from sqlalchemy import func, select

from spcncl_core.db.base import database_url, make_engine, make_session_factory
from spcncl_core.db.migrate import upgrade
from spcncl_core.db.models import Round, User


def ensure_demo(url: str) -> None:
    """Migrate, and load the demo (`spcncl demo`, plus a 2025 round open for council scoring) when no round exists."""
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        empty = not session.scalar(select(func.count()).select_from(Round))
    if empty:
        exe = shutil.which("spcncl", path=os.path.dirname(sys.executable)) or "spcncl"
        subprocess.run([exe, "demo", "--database-url", url], check=True)
        from spcncl_core import load_catalog
        from spcncl_core.demo import build_round

        with make_session_factory(engine)() as session:
            print("building a 2025 round open for council scoring (synthetic figures) …")
            build_round(session, load_catalog(), year=2025, stop_after="scoring", seed=2025)
            session.commit()
    with make_session_factory(engine)() as session:
        accounts = session.execute(select(User.username, User.role).order_by(User.role, User.username)).all()
    engine.dispose()
    print("\naccounts (password: demo-password):")
    for username, role in accounts:
        print(f"  {username:14} {role}")


def main() -> None:
    """Prepare the demo database and serve."""
    url = database_url()
    ensure_demo(url)
    port = int(os.environ.get("PORT", "5000"))
    os.environ.setdefault("SPCNCL_INSECURE_COOKIES", "1")  # plain http on loopback
    from spcncl_admin import create_app

    print(f"\nback office: http://127.0.0.1:{port}/admin/   public pages: http://127.0.0.1:{port}/public/\n")
    create_app().run(host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
