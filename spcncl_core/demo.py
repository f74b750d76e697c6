"""A realistic demo round (DOMAIN.md §4): Hanoi 2023 with 37 eligible products of 26 enterprises, 9 council
members, assignments, council scores, publication, comments, recognition and a Top 10.

Product and enterprise names of the 2021 Top 10 are public; every figure is SYNTHETIC (số liệu giả định) and
says so. The same builder makes smaller rounds for tests and larger ones for benchmarks.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spcncl_core import clock as time_source
from spcncl_core.catalog import Catalog
from spcncl_core.db.models import AuditEntry, Conflict, Dossier, Enterprise, Round, Setting, User
from spcncl_core.dossier import Dossier as EngineDossier
from spcncl_core.errors import RecordError
from spcncl_core.services import dossiers, publication, recognition, results, rounds, scoring, screening, users

SYNTHETIC = "số liệu giả định"  # said once, in Vietnamese: names read "… (số liệu giả định)"
PUBLIC_NAMES = [  # (product, enterprise, sector, high-tech list item or None)
    ("Đèn LED Rạng Đông", "Công ty CP Bóng đèn Phích nước Rạng Đông", "điện, điện tử", None),
    ("Dây và cáp điện Cadisun", "Công ty CP Dây cáp điện Thượng Đình (Cadisun)", "điện, điện tử", None),
    ("Ống thép inox Sơn Hà", "Công ty CP Quốc tế Sơn Hà", "cơ khí, chế tạo", None),
    ("Khóa thông minh Innoviti-s", "Công ty CP Innoviti", "điện, điện tử", 45),
    ("Phần mềm MISA AMIS", "Công ty CP MISA", "công nghệ thông tin", 78),
    ("Đá thạch anh Vicostone", "Công ty CP Vicostone", "vật liệu xây dựng", None),
    ("Bình nước nóng ROSSI", "Công ty CP Tập đoàn Tân Á Đại Thành", "cơ khí, chế tạo", None),
    ("Dây cáp điện SINO-VANLOCK", "Công ty CP Thiết bị điện Vanlock", "điện, điện tử", None),
    ("Cửa nhôm Eurowindow", "Công ty CP Eurowindow", "vật liệu xây dựng", None),
    ("Tôn mạ VNSTEEL Thăng Long", "Công ty CP Tôn mạ VNSTEEL Thăng Long", "cơ khí, chế tạo", None),
]
SECTORS = ["cơ khí, chế tạo", "điện, điện tử", "công nghệ thông tin", "dệt may, da giày",
           "chế biến nông sản, thực phẩm", "hóa chất, cao su, nhựa, dược phẩm", "vật liệu xây dựng",
           "thủ công mỹ nghệ"]
PRODUCT_KINDS = {
    "cơ khí, chế tạo": ["Máy biến áp phân phối", "Kết cấu thép", "Phụ tùng xe máy", "Van công nghiệp"],
    "điện, điện tử": ["Công tơ điện tử", "Bảng điện thông minh", "Bộ lưu điện UPS", "Dây điện từ"],
    "công nghệ thông tin": ["Phần mềm quản lý doanh nghiệp", "Thiết bị mạng", "Camera giám sát"],
    "dệt may, da giày": ["Áo sơ mi xuất khẩu", "Giày thể thao", "Vải kỹ thuật"],
    "chế biến nông sản, thực phẩm": ["Sữa tiệt trùng", "Bánh kẹo", "Nước giải khát"],
    "hóa chất, cao su, nhựa, dược phẩm": ["Ống nhựa PPR", "Săm lốp xe", "Sơn công nghiệp"],
    "vật liệu xây dựng": ["Gạch ốp lát", "Sứ vệ sinh", "Kính an toàn"],
    "thủ công mỹ nghệ": ["Gốm sứ mỹ nghệ", "Mây tre đan xuất khẩu", "Tranh sơn mài"],
}
DISTRICTS = ["Hoàng Mai", "Long Biên", "Đông Anh", "Thanh Xuân", "Cầu Giấy", "Gia Lâm", "Sóc Sơn", "Hà Đông"]
COUNCIL = [("Chủ tịch Hội đồng", "Sở Công Thương", "chair"), ("Phó Chủ tịch", "Sở Công Thương", "vice_chair"),
           ("Thư ký", "Sở Công Thương", "secretary"), ("Thành viên", "Sở Khoa học và Công nghệ", "member"),
           ("Thành viên", "Sở Kế hoạch và Đầu tư", "member"), ("Thành viên", "Sở Tài chính", "member"),
           ("Thành viên", "Cục Thuế Hà Nội", "member"), ("Thành viên", "Hiệp hội Doanh nghiệp", "member"),
           ("Thành viên", "Trường Đại học Bách khoa Hà Nội", "member")]
MARGIN = 6  # points between a demo product's preliminary total and the pass mark
DEMO_PASSWORD = "demo-password"  # for the demo users only, in a database marked demo; printed by `spcncl demo`
PURPOSE, DEMO = "purpose", "demo"


@dataclass
class DemoRound:
    """What the builder made."""

    round: Round
    dossiers: list[Dossier] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def synthetic_inputs(rng: random.Random, strong: bool, high_tech_item: int | None) -> dict[str, Any]:
    """Synthetic 2023 inputs; `strong` leans towards a passing score."""
    revenue = round(rng.uniform(350, 3500) if strong else rng.uniform(110, 600), 1)
    growth = rng.uniform(1.15, 1.6) if strong else rng.uniform(0.9, 1.15)

    def some(options: list[str], low: int) -> list[str]:
        return rng.sample(options, rng.randint(low, len(options)))

    return {
        "hanoi_site": True, "own_production": True, "years_in_production": rng.randint(5, 40),
        "no_violations_24m": True, "standards_conformity": True, "no_ip_infringement": True,
        "equity": round(rng.uniform(80, 3000), 1), "dossier_complete": True,
        **({"high_tech_list_item": high_tech_item, "st_staff_share": round(rng.uniform(15, 60), 1)}
           if high_tech_item else {}),
        "product_revenue": revenue, "product_revenue_n3": round(revenue / growth, 1),
        "product_workers": rng.randint(80, 600) if strong else rng.randint(300, 900),
        "export_revenue": round(revenue * (rng.uniform(0.2, 0.7) if strong else rng.uniform(0, 0.15)), 1),
        "profit_before_tax": round(rng.uniform(5, 300) if strong else rng.uniform(-10, 20), 1),
        "tax_paid": round(rng.uniform(20, 90), 1), "tax_paid_prev": round(rng.uniform(10, 70), 1),
        "tax_arrears": False if strong else rng.random() < 0.3,
        "automation_level": rng.choice(["automated", "semi_automated"] if strong else ["semi_automated", "manual"]),
        "rd_spend": round(revenue * (rng.uniform(0.01, 0.06) if strong else rng.uniform(0, 0.004)), 2),
        "quality": some(["iso9001", "conformity", "other_qms"], 2 if strong else 0),
        "ip": some(["trademark", "patent_or_design", "award"], 1 if strong else 0),
        "environment": some(["permit_compliance", "cleaner_production", "energy_audit"], 2 if strong else 0),
        "jobs_created": rng.randint(10, 200) if strong else rng.randint(0, 5),
        "avg_wage_ratio": round(rng.uniform(1.4, 2.6) if strong else rng.uniform(1.0, 1.3), 2),
        "social_insurance_full": strong or rng.random() < 0.5,
        "local_content": round(rng.uniform(45, 90) if strong else rng.uniform(5, 35), 1),
        "global_supplier": strong and rng.random() < 0.6,
        "digital": some(["erp", "mes", "traceability"], 1 if strong else 0),
        "green": some(["energy_efficiency", "renewable", "emissions_accounting"], 1 if strong else 0),
    }


def _inputs_scoring(catalog: Catalog, rng: random.Random, year: int, strong: bool,
                    item: int | None) -> dict[str, Any]:
    """Draw inputs until the preliminary total is clearly (MARGIN points) on the intended side of the pass mark
    of the set that scores them, so that council scores close to the preliminary ones keep it there."""
    for _ in range(200):
        inputs = synthetic_inputs(rng, strong, item)
        dossier = EngineDossier("hanoi", year, inputs)
        evaluation = catalog.evaluate(dossier)
        mark = catalog.select(dossier).pass_rule.points
        total = evaluation.total or Decimal(0)
        if (strong and total >= mark + MARGIN) or (not strong and total <= mark - MARGIN):
            return inputs
    return inputs


def build_round(session: Session, catalog: Catalog, *, year: int = 2023, enterprises: int = 26,
                eligible: int = 37, recognised: int = 33, ineligible: int = 4, members: int = 9,
                high_tech: int = 8, seed: int = 2023, stop_after: str = "recognised",
                progress: Callable[[str], None] | None = None) -> DemoRound:
    """Build a Hanoi round through the services, as the secretariat and the council would, up to `stop_after`
    (registered, screened, scoring, scored, results, published or recognised)."""
    import time

    rng = random.Random(seed)
    say = progress or (lambda _message: None)
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now
        say(f"{name}: {timings[name]:.2f} s")

    people = {u.username: u for u in create_demo_users(session, members)}
    admin, secretariat = people["admin"], people["secretariat"]
    round_ = rounds.create_round(session, admin, catalog, "hanoi", year, f"Xét chọn SPCNCL Hà Nội năm {year} "
                                 f"({SYNTHETIC})", plan_ref="267/KH-UBND", council_decision_ref="4074/QĐ-UBND")
    demo = DemoRound(round_, timings=timings)
    companies = []
    for i in range(enterprises):
        if i < len(PUBLIC_NAMES):
            _, name, sector, _ = PUBLIC_NAMES[i]
        else:
            sector = SECTORS[i % len(SECTORS)]
            name = f"Công ty CP Sản xuất Demo {i + 1:02d} ({SYNTHETIC})"
        companies.append(dossiers.enterprise(session, secretariat, f"01{rng.randint(10**7, 10**8 - 1)}", name,
                                             ownership="cổ phần", district=DISTRICTS[i % len(DISTRICTS)],
                                             sector=sector, address=f"Hà Nội ({SYNTHETIC})"))
    base = datetime(year, 9, 1, 8, 0, tzinfo=time_source.zone("hanoi"))
    total = eligible + ineligible
    for i in range(total):
        if i < len(PUBLIC_NAMES) and i < enterprises:
            product_name, _, sector, item = PUBLIC_NAMES[i]
            owner = companies[i]
        else:
            owner = companies[i % enterprises] if i < eligible else companies[rng.randrange(enterprises)]
            sector = owner.sector or SECTORS[0]
            kinds = PRODUCT_KINDS.get(sector, ["Sản phẩm"])
            product_name = f"{kinds[i % len(kinds)]} (demo {i + 1:02d})"
            item = rng.randint(1, 107) if i < eligible and i % max(1, eligible // max(1, high_tech)) == 0 else None
        strong = i < recognised
        inputs = _inputs_scoring(catalog, rng, year, strong, item)
        if i >= eligible:  # ineligible: too young, or under the revenue gate
            inputs["years_in_production"] = 2 if i % 2 else inputs["years_in_production"]
            if not i % 2:
                inputs["product_revenue"] = 60.0
        prod = dossiers.product(session, secretariat, owner, product_name, sector)
        dossier = dossiers.register(session, secretariat, round_, prod, f"HN-{year}-{i + 1:04d}", inputs)
        dossiers.submit(session, secretariat, catalog, dossier, submitted_at=base + timedelta(minutes=37 * i))
        demo.dossiers.append(dossier)
    lap("registered")
    if stop_after == "registered":
        return demo

    rounds.open_screening(session, secretariat, round_)
    for dossier in demo.dossiers:
        if screening.screen(session, secretariat, catalog, dossier):
            screening.preliminary_scores(session, secretariat, catalog, dossier)
    lap("screened")
    if stop_after == "screened":
        return demo

    council = []
    for m in range(members):
        title, agency, role = COUNCIL[m] if m < len(COUNCIL) else ("Thành viên", "Sở, ngành", "member")
        council.append(scoring.add_member(session, secretariat, round_, f"M{m + 1:02d}", f"{title} {m + 1:02d}",
                                          agency, role, user=people[f"member{m + 1:02d}"]))
    per_criterion = min(3, members)
    for choice in round_.criteria_sets:
        cset = rounds.criteria_set_for(session, catalog, round_, choice.product_group)
        for k, criterion in enumerate(cset.criteria):
            for j in range(per_criterion):
                scoring.assign(session, secretariat, catalog, round_, choice.product_group, [criterion.id],
                               council[(k + j) % members])
    scored = [d for d in demo.dossiers if d.state == "preliminarily_scored"]
    if scored and members > per_criterion:
        scoring.declare_conflict(session, people["member01"], council[0], scored[-1],
                                 f"tư vấn cho doanh nghiệp ({SYNTHETIC})")
    rounds.start_scoring(session, secretariat, round_)
    lap("council set up")
    if stop_after == "scoring":
        return demo

    steps = [Decimal("-1"), Decimal("-0.5"), Decimal(0), Decimal(0), Decimal("0.5")]
    conflicts = list(session.scalars(select(Conflict)))
    for dossier in scored:
        preliminary = {p.criterion_id: p.points for p in dossier.preliminary}
        cset = screening.criteria_set_of(session, catalog, dossier)
        maxima = {c.id: c.max_points for c in cset.criteria}
        for member in council:
            assigned = scoring.assigned_criteria(session, catalog, member, dossier)
            if not assigned or any(c.member_id == member.id for c in conflicts if c.dossier_id == dossier.id):
                continue  # a conflicted or unassigned member simply has no form
            user = people[f"member{council.index(member) + 1:02d}"]
            form = scoring.form_for(session, user, catalog, member, dossier)
            points = {c: min(maxima[c], max(Decimal(0), preliminary[c] + rng.choice(steps))) for c in assigned}
            scoring.save_scores(session, user, catalog, member, dossier, points, form.version)
            scoring.submit_form(session, user, catalog, member, dossier)
    scoring.close_scoring(session, secretariat, catalog, round_)
    lap("council scored")
    if stop_after == "scored":
        return demo

    results.compute_results(session, secretariat, catalog, round_)
    lap("results")
    if stop_after == "results":
        return demo

    published_at = datetime(year, 11, 14, 9, 0, tzinfo=time_source.zone("hanoi"))
    publication.publish(session, secretariat, catalog, round_, now=published_at)
    published = [d for d in demo.dossiers if d.state == "published"]
    if published:
        first = publication.submit_comment(session, None, published[0], "Nguyễn Văn A",
                                           f"Đề nghị làm rõ số liệu xuất khẩu ({SYNTHETIC}).",
                                           now=published_at + timedelta(days=2))
        publication.request_explanation(session, secretariat, first)
        publication.record_explanation(session, secretariat, first, "Doanh nghiệp đã bổ sung tờ khai hải quan "
                                       f"({SYNTHETIC}).", now=published_at + timedelta(days=5))
        publication.resolve_comment(session, secretariat, first, "kept", "Giải trình đạt yêu cầu; giữ nguyên kết quả.")
        if len(published) > 1:
            second = publication.submit_comment(session, None, published[-1], "Trần Thị B",
                                                f"Góp ý về nhãn mác sản phẩm ({SYNTHETIC}).",
                                                now=published_at + timedelta(days=3))
            publication.resolve_comment(session, secretariat, second, "kept", "Không có căn cứ; giữ nguyên kết quả.")
    lap("published")
    if stop_after == "published":
        return demo

    publication.close_comments(session, secretariat, round_, now=datetime(year, 11, 25, 8, 0))
    recognition.decide(session, admin, catalog, round_, f"5012/QĐ-UBND-{year}", date(year, 11, 26),
                       "Phó Chủ tịch UBND Thành phố")
    lap("recognised")
    return demo


def create_demo_users(session: Session, members: int = 9) -> list[User]:
    """One user per role (and one per council member of the demo), all with DEMO_PASSWORD; existing ones kept.

    Only in a database that is empty or marked demo (then marked demo): a known password never reaches a
    database holding real records."""
    check_demo_database(session)
    if session.get(Setting, PURPOSE) is None:
        session.add(Setting(key=PURPOSE, value=DEMO))
        session.flush()
    names = [("admin", "Quản trị hệ thống", "admin"), ("secretariat", "Tổ công tác", "secretariat"),
             ("viewer", "Người xem", "viewer")]
    names += [(f"member{m:02d}", f"Thành viên hội đồng {m:02d}", "council") for m in range(1, max(members, 9) + 1)]
    existing = {u.username: u for u in session.scalars(select(User))}
    admin = existing.get("admin")
    out = []
    for username, name, role in names:
        if username not in existing:
            existing[username] = users.create_user(session, admin, username, name, role, None,
                                                   password_hash=_demo_hash())
            admin = admin or existing[username]
        out.append(existing[username])
    return out


@functools.cache
def _demo_hash() -> str:
    # hashed once per process: scrypt is slow on purpose, and tests build many demo rounds
    return users.hash_password(DEMO_PASSWORD)


def holds_records(session: Session) -> bool:
    """Whether the database holds any user, enterprise, round or audit entry."""
    return any(session.scalar(select(func.count()).select_from(model)) for model in (User, Enterprise, Round,
                                                                                     AuditEntry))


def is_demo_database(session: Session) -> bool:
    """Whether `spcncl demo` built this database (it is marked `purpose = demo`)."""
    from sqlalchemy import inspect

    if not inspect(session.connection()).has_table(Setting.__tablename__):
        return False  # a schema older than the marker: not built by this demo
    marker = session.get(Setting, PURPOSE)
    return marker is not None and marker.value == DEMO


def check_demo_database(session: Session) -> None:
    """Refuse a database that holds records and is not a demo database."""
    if holds_records(session) and not is_demo_database(session):
        raise RecordError("this database holds records that are not demo data; the demo is loaded only into an "
                          "empty database or a demo one (give another --database-url)")
