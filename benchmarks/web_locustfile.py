"""Locust users of the web benchmark (benchmarks/web_bench.py): a signed-in secretariat member who lists, filters,
searches, sorts and opens dossiers. Read with `locust -f` by the benchmark; the parameters come from the
environment (WEB_BENCH_ROUND, WEB_BENCH_DOSSIERS)."""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

ROUND = os.environ.get("WEB_BENCH_ROUND", "1")
DOSSIERS = int(os.environ.get("WEB_BENCH_DOSSIERS", "1000"))
SEARCHES = ["rang dong", "cadisun", "misa", "bien ap", "demo 0042", "HN-2030-00123"]
STATES = ["submitted", "eligible", "ineligible", "preliminarily_scored", "council_scored"]
DISTRICTS = ["Hoàng Mai", "Long Biên", "Đông Anh", "Thanh Xuân", "Cầu Giấy", "Gia Lâm", "Sóc Sơn", "Hà Đông"]


class Secretariat(HttpUser):
    """One member of the working group at work."""

    wait_time = between(0.5, 1.5)  # a person reading a page before the next click

    def on_start(self) -> None:
        page = self.client.get("/login", name="sign-in").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        self.client.post("/login", data={"username": "secretariat", "password": "demo-password",
                                         "csrf_token": token.group(1) if token else ""}, name="sign-in")

    @task(3)
    def list_page(self) -> None:
        # people page through the first pages of a list; deeper ones are reached by filtering or searching
        self.client.get(f"/admin/dossiers/?page={random.randrange(0, min(50, DOSSIERS // 20))}", name="list")

    @task(3)
    def filter(self) -> None:
        self.client.get(f"/admin/dossiers/?flt0_0={ROUND}&flt1_2={random.choice(STATES)}"
                        f"&flt2_4={random.choice(DISTRICTS)}", name="filter")

    @task(2)
    def search(self) -> None:
        self.client.get("/admin/dossiers/", params={"search": random.choice(SEARCHES)}, name="search")

    @task(1)
    def sort(self) -> None:
        self.client.get(f"/admin/dossiers/?sort={random.choice([1, 2, 5])}&desc={random.randint(0, 1)}", name="sort")

    @task(3)
    def dossier(self) -> None:
        self.client.get(f"/admin/dossier/{random.randint(1, DOSSIERS)}", name="dossier page")
