"""The back office's screens, added to a new `Admin` by `register_views` (one Admin per app)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from spcncl_core.db.models import Dossier, Enterprise, Product


def register_views(admin: Any, db: Any) -> None:
    """Add every built-in screen to `admin`. `db` is the Flask-SQLAlchemy object (kept for the plugin hook's
    signature; the views reach it through spcncl_admin.extensions)."""
    from .council import CouncilView
    from .criteria import CriteriaView
    from .dossier import DossierPageView
    from .publication import CommentsView
    from .records import AuditView, DossierView, EnterpriseView, ProductView
    from .results import ResultsView
    from .rounds import RoundsView
    from .scoring import ScoringView
    from .users import UsersView

    records = _l("Records")
    admin.add_view(RoundsView(name=_l("Rounds"), endpoint="rounds", url="/admin/rounds"))
    admin.add_view(DossierView(Dossier, name=_l("Dossiers"), endpoint="dossiers", category=records))
    admin.add_view(EnterpriseView(Enterprise, name=_l("Enterprises"), endpoint="enterprises", category=records))
    admin.add_view(ProductView(Product, name=_l("Products"), endpoint="products", category=records))
    admin.add_view(AuditView(name=_l("Audit log"), endpoint="audit", category=records))
    admin.add_view(DossierPageView(name=_l("Dossier"), endpoint="dossier", url="/admin/dossier"))
    admin.add_view(CouncilView(name=_l("Council"), endpoint="council", url="/admin/council"))
    admin.add_view(ResultsView(name=_l("Results"), endpoint="results", url="/admin/results"))
    admin.add_view(CommentsView(name=_l("Comments"), endpoint="comments", url="/admin/comments"))
    admin.add_view(CriteriaView(name=_l("Criteria sets"), endpoint="criteria", url="/admin/criteria"))
    admin.add_view(ScoringView(name=_l("My scoring forms"), endpoint="scoring", url="/admin/scoring"))
    admin.add_view(UsersView(name=_l("Users"), endpoint="users", url="/admin/users"))
