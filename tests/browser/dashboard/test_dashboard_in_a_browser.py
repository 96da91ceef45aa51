"""The dashboard in a real Chromium: plotly draws every chart as SVG under the strict CSP."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue, demo, staff
from surveys.services.reporting import release

pytestmark = pytest.mark.browser
PASSWORD = "a long enough pass phrase"


class LoginPage:
    def __init__(self, page, base: str):
        self.page, self.base = page, base

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto(f"{self.base}/dashboard/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("button.primary")


class DashboardPage:
    CHARTS = (
        "weekly",
        "funnel",
        "state",
        "zone",
        "lga",
        "age_band",
        "income_band",
        "gender",
        "cross",
    )

    def __init__(self, page, base: str):
        self.page, self.base = page, base

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.base}/dashboard/{query}")

    def wait_for_charts(self) -> None:
        for key in self.CHARTS:
            self.page.wait_for_selector(f"#chart-{key} svg.main-svg", timeout=15000)

    def bars_drawn(self, key: str) -> int:
        return self.page.locator(f"#chart-{key} g.point").count()

    def error_bars_drawn(self, key: str) -> int:
        return self.page.locator(f"#chart-{key} g.errorbar").count()

    def map_states_drawn(self) -> int:
        return self.page.locator("#chart-state path.js-fill").count()


@pytest.fixture
def seeded(live_server):
    base, app = live_server
    with app.app_context():
        catalogue.load_defaults(db.session)
        demo.seed(
            db.session,
            catalogue.all_surveys(db.session),
            1500,
            clock.today(),
            weeks=8,
            seed_value=3,
        )
        release.release_due_weeks(db.session, clock.today())
        staff.create(db.session, "pm@example.com", "analyst", PASSWORD, clock.now())
        db.session.commit()
    return base


def test_every_chart_renders_as_svg_with_the_csp_on_and_no_console_errors(seeded, browser_page):
    page = browser_page
    problems: list[str] = []
    hosts: set[str] = set()
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    LoginPage(page, seeded).sign_in("pm@example.com", PASSWORD)
    page.wait_for_url("**/dashboard/")
    dashboard = DashboardPage(page, seeded)
    dashboard.open()
    dashboard.wait_for_charts()
    for key in ("weekly", "age_band", "gender", "zone"):
        assert dashboard.bars_drawn(key) >= 3, key
        # Every shown number carries its margin of error.
        assert dashboard.error_bars_drawn(key) == dashboard.bars_drawn(key), key
    page.click("#how-we-protect-people summary")
    assert "ρ = 0.5 per response per survey-week" in page.inner_text("#how-we-protect-people")
    assert dashboard.map_states_drawn() == 37
    assert (
        page.locator("#chart-cross g.hm, #chart-cross image, #chart-cross .heatmaplayer *").count()
        >= 1
    )
    assert problems == []
    assert hosts == {urlparse(seeded).netloc}  # nothing fetched from anywhere else


def test_the_page_is_served_with_a_policy_that_forbids_eval_and_other_hosts(seeded, browser_page):
    page = browser_page
    LoginPage(page, seeded).sign_in("pm@example.com", PASSWORD)
    response = page.goto(f"{seeded}/dashboard/?area=zone:South%20West&x=state&y=gender")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    DashboardPage(page, seeded).wait_for_charts()
    # An injected inline script would not run: the policy allows our own files only.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.body.appendChild(s); }"
    )
    assert page.evaluate("() => window.injected === undefined")
