"""Lists of records: enterprises, products, dossiers, the audit log. Read-only; writes are service forms elsewhere."""

from __future__ import annotations

from typing import Any

from flask import flash, has_app_context, redirect, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased, defer, selectinload

from spcncl_core.db.models import AuditEntry, Dossier, Enterprise, Product, Round
from spcncl_core.search import fold
from spcncl_core.services import audit
from spcncl_core.services.dossiers import STATES

from ..extensions import db
from ..i18n import fmt_brief, fmt_reason
from .base import StaffModelView
from .labels import actor_label, audit_label, audit_value, entity_label, group_label, state_label


def _distinct(column: Any) -> Any:
    def options() -> list[tuple[str, str]]:
        if not has_app_context():  # Flask-Admin asks once when the view is built, outside any request
            return []
        return [(v, v) for v in db.session.scalars(select(column).distinct().where(column.is_not(None))
                                                   .order_by(column))]
    return options


def _rounds() -> list[tuple[str, str]]:
    if not has_app_context():
        return []
    return [(str(r.id), f"{r.jurisdiction_id} {r.year}") for r in
            db.session.scalars(select(Round).order_by(Round.year.desc()))]


class EnterpriseView(StaffModelView):
    """Enterprises (doanh nghiệp)."""

    column_list = ("code", "name", "district", "sector", "ownership")
    column_labels = {"code": _l("Enterprise code"), "name": _l("Name"), "district": _l("District"),
                     "sector": _l("Sector"), "ownership": _l("Ownership")}
    column_searchable_list = ("code", "name_key")
    column_sortable_list = ("code", "name", "district", "sector")
    column_filters = (FilterEqual(column=Enterprise.district, name=_l("District"),
                                  options=_distinct(Enterprise.district)),
                      FilterEqual(column=Enterprise.sector, name=_l("Sector"), options=_distinct(Enterprise.sector)))
    column_default_sort = "name"


class ProductView(StaffModelView):
    """Products and their enterprises."""

    column_list = ("name", "enterprise.name", "sector")
    column_labels = {"name": _l("Product"), "enterprise.name": _l("Enterprise"), "sector": _l("Sector")}
    column_searchable_list = ("name_key", "enterprise.name_key")
    column_sortable_list = ("name", ("enterprise.name", "enterprise.name"), "sector")
    column_filters = (FilterEqual(column=Product.sector, name=_l("Sector"), options=_distinct(Product.sector)),)
    column_default_sort = "name"


def _dossier_link(view: Any, _context: Any, model: Dossier, _name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for("dossier.page", dossier_id=model.id), model.number)


class ProductFilter(FilterEqual):
    """Dossiers whose product or enterprise has `column` equal to the value, as `product_id IN (…)`: no outer join,
    so the database can start from the product or enterprise index (100,000 dossiers)."""

    def __init__(self, column: Any, name: Any, options: Any) -> None:
        super().__init__(column=Dossier.product_id, name=name, options=options)
        self.target = column

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        products = select(Product.id)
        if self.target.class_ is Enterprise:
            products = products.join(Enterprise, Enterprise.id == Product.enterprise_id)
        return query.filter(Dossier.product_id.in_(products.where(self.target == value)))


class DossierView(StaffModelView):
    """Dossiers with filters by round, product group, state, sector and district; paging and sorting in SQL."""

    list_template = "spcncl/dossier_list.html"
    column_list = ("number", "product.name", "product.enterprise.name", "round.year", "product_group", "state",
                   "product.enterprise.district", "submitted_at")
    column_labels = {"number": _l("Dossier"), "product.name": _l("Product"), "product.enterprise.name":
                     _l("Enterprise"), "round.year": _l("Year"), "product_group": _l("Product group"),
                     "state": _l("State"), "product.enterprise.district": _l("District"),
                     "submitted_at": _l("Submitted on")}
    column_sortable_list = ("number", ("product.name", "product.name"), ("product.enterprise.name",
                            "product.enterprise.name"), ("round.year", "round.year"), "product_group", "state",
                            "submitted_at")
    column_searchable_list = ("number", "product.name_key", "product.enterprise.name_key",
                              "product.enterprise.code")
    column_filters = (
        IntEqualFilter(column=Dossier.round_id, name=_l("Round"), options=_rounds),
        FilterEqual(column=Dossier.product_group, name=_l("Product group"),
                    options=lambda: [(g, group_label(g)) for g in ("standard", "high-tech")]),
        FilterEqual(column=Dossier.state, name=_l("State"), options=lambda: [(s, state_label(s)) for s in STATES]),
        ProductFilter(Product.sector, _l("Sector"), _distinct(Product.sector)),
        ProductFilter(Enterprise.district, _l("District"), _distinct(Enterprise.district)),
    )
    column_formatters = {"number": _dossier_link,
                         "state": lambda v, c, m, n: state_label(m.state),
                         "product_group": lambda v, c, m, n: group_label(m.product_group)}
    column_default_sort = ("number", False)
    column_select_related_list = ()  # loaded in get_query: a join per relation would fight the sort's own joins

    def get_query(self) -> Any:
        # a page's products, enterprises and round in three small IN queries (not one query per row), and the
        # dossiers without their inputs and self-assessment, which the list does not show
        return super().get_query().options(
            selectinload(Dossier.product).selectinload(Product.enterprise), selectinload(Dossier.round),
            defer(Dossier.inputs), defer(Dossier.self_assessment))

    # how many matches of a term are counted (at most) to pick the narrowest term of a search
    search_breadth_cap = 2000

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        # each term's dossiers as an id union per table, so each side reads one index. On PostgreSQL (trigram
        # indexes, migration 0007t) the narrowest term alone picks the candidates and every other term is checked
        # on those rows only: "cong ty rang dong" no longer gathers every enterprise named "công ty". SQLite has no
        # index for LIKE '%…%', so counting each term's matches would cost more than it saves: every term is a set
        terms = [(term, f"%{term}%") for term in dict.fromkeys(fold(search).split())]
        narrowest_first = len(terms) > 1 and db.session.get_bind().dialect.name == "postgresql"
        if narrowest_first:
            terms.sort(key=lambda t: self._breadth(*t))
        for n, (term, like) in enumerate(terms):
            condition = self._matches(term, like) if narrowest_first and n else self._candidates(term, like)
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    @staticmethod
    def _candidates(term: str, like: str) -> Any:
        """Dossiers matching `term`, as an id set read from indexes."""
        products = select(Product.id).where(Product.name_key.like(like))
        owners = select(Product.id).join(Enterprise, Enterprise.id == Product.enterprise_id).where(
            or_(Enterprise.name_key.like(like), Enterprise.code.like(like)))
        condition = Dossier.product_id.in_(products.union(owners))
        if any(ch.isdigit() for ch in term):  # dossier numbers have digits; other terms skip the full scan
            by_product = select(Dossier.id).where(condition)
            by_number = select(Dossier.id).where(func.lower(Dossier.number).like(like))
            condition = Dossier.id.in_(by_product.union(by_number))
        return condition

    @staticmethod
    def _matches(term: str, like: str) -> Any:
        """Whether a dossier (a candidate already) matches `term`: its own product and enterprise looked up."""
        product, owner = aliased(Product), aliased(Enterprise)
        condition = exists().where(product.id == Dossier.product_id, owner.id == product.enterprise_id,
                                   or_(product.name_key.like(like), owner.name_key.like(like), owner.code.like(like)))
        if any(ch.isdigit() for ch in term):
            condition = or_(condition, func.lower(Dossier.number).like(like))
        return condition

    def _breadth(self, term: str, like: str) -> int:
        """Roughly how many dossiers `term` matches (each count capped): products by name, five per enterprise."""
        cap = self.search_breadth_cap

        def count(statement: Any) -> int:
            return db.session.scalar(select(func.count()).select_from(statement.limit(cap).subquery())) or 0

        found = count(select(Product.id).where(Product.name_key.like(like)))
        found += 5 * count(select(Enterprise.id).where(or_(Enterprise.name_key.like(like),
                                                           Enterprise.code.like(like))))
        if any(ch.isdigit() for ch in term):
            found += count(select(Dossier.id).where(func.lower(Dossier.number).like(like)))
        return found

    def _order_by(self, query: Any, joins: Any, sort_joins: Any, sort_field: Any, sort_desc: bool) -> Any:
        # inner joins (every dossier has a product and an enterprise) let the database sort from an index
        if sort_field is None:
            return query, joins
        query, joins, alias = self._apply_path_joins(query, joins, sort_joins, inner_join=True)
        column = sort_field if alias is None else getattr(alias, sort_field.key)
        return query.order_by(column.desc() if sort_desc else column), joins


class AuditView(StaffModelView):
    """The audit log, read-only, filterable; `verify` recomputes the hash chain."""

    list_template = "spcncl/audit_list.html"
    column_list = ("seq", "at", "actor", "action", "entity", "entity_id", "reason", "after")
    column_labels = {"seq": "#", "at": _l("Time"), "actor": _l("Who"), "action": _l("Action"),
                     "entity": _l("Record"), "entity_id": _l("Record id"), "reason": _l("Reason"),
                     "after": _l("After")}
    column_searchable_list = ("actor", "action", "entity_id")
    column_filters = ("actor", "action", "entity", "entity_id")
    column_default_sort = ("seq", True)
    # the action in words, the raw code beside it (the filters and search take the code)
    column_formatters = {"after": lambda v, c, m, n: (escape(fmt_brief(audit_value(m.after, m.action)))
                                                      if m.after is not None else ""),
                         "action": lambda v, c, m, n: Markup('{} <code class="explain">{}</code>').format(
                             audit_label(m.action), m.action),
                         "entity": lambda v, c, m, n: entity_label(m.entity),
                         "actor": lambda v, c, m, n: actor_label(m.actor),
                         "reason": lambda v, c, m, n: fmt_reason(m.reason)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(AuditEntry, *args, **kwargs)

    @expose("/verify", methods=["POST"])
    def verify(self) -> Any:
        """Recompute the chain and say what is broken, if anything."""
        report = audit.verify(db.session())
        if report.ok:
            flash(_("The audit log is intact: %(n)s entries checked; head %(head)s.", n=report.entries,
                    head=report.head[:16]), "success")
        else:
            flash(_("The audit log is broken: %(problems)s", problems="; ".join(report.problems[:10])), "danger")
        return redirect(url_for(".index_view"))


__all__ = ["AuditView", "DossierView", "EnterpriseView", "ProductView"]
