"""The dashboard in a real Chromium: plotly draws every chart as SVG under the strict CSP."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue, demo, staff
from surveys.services import consent as consent_service
from surveys.services.reporting import release
from surveys.services.respondents import new_key
from tests.browser.axe import CSP_BYPASS, axe_violations

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
        # Settle on the dashboard it lands on: it starts fetching plotly.js as soon as a chart
        # is near the screen, and leaving mid-download drops the connection (a warning from
        # the test server's thread, not a fault of the page).
        self.page.wait_for_url("**/dashboard/")
        self.page.wait_for_load_state("networkidle")


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
        "consent",
    )

    def __init__(self, page, base: str):
        self.page, self.base = page, base

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.base}/dashboard/{query}")

    def wait_for_charts(self) -> None:
        """Scroll to each chart in turn (a chart is drawn as it comes near the screen) and
        wait until plotly has drawn it."""
        for key in self.CHARTS:
            self.page.locator(f"#chart-{key}").scroll_into_view_if_needed()
            # The first waits for plotly.js (megabytes) to be fetched and parsed: no tighter
            # timeout than the default, on a loaded machine.
            self.page.wait_for_selector(f"#chart-{key} svg.main-svg")

    def charts_drawn(self) -> int:
        return self.page.locator("[data-figure].js-plotly-plot").count()

    def plotly_loaded(self) -> bool:
        return self.page.evaluate("window.Plotly !== undefined")

    def bars_drawn(self, key: str) -> int:
        return self.page.locator(f"#chart-{key} g.point").count()

    def error_bars_drawn(self, key: str) -> int:
        return self.page.locator(f"#chart-{key} g.errorbar").count()

    def map_states_drawn(self) -> int:
        return self.page.locator("#chart-state path.js-fill").count()

    def open_every_numbers_table(self) -> None:
        self.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")

    def overflow(self) -> int:
        """How many pixels the page is wider than the screen (0: no sideways scrolling)."""
        return self.page.evaluate(
            "Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
        )

    def charts_off_screen(self) -> list[str]:
        """Charts not wholly within the screen's width, or drawn too small to read."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll("[data-figure]")].filter(el => {
                const box = el.querySelector("svg.main-svg").getBoundingClientRect();
                return box.left < 0 || box.right > window.innerWidth || box.height < 200
                    || box.width < 0.8 * el.parentElement.clientWidth;
            }).map(el => el.id)"""
        )

    def numbers_tables(self) -> list[str]:
        """The id of every chart's numbers table on the page."""
        return self.page.eval_on_selector_all("details.numbers-box", "els => els.map(e => e.id)")


@pytest.fixture
def seeded(live_server):
    """Demo answers and, two weeks ago, consent choices, all released; an analyst."""
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
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        then = clock.now() - timedelta(weeks=2)
        for n in range(60):
            allowed = ["state", "age_band", "income_band", "gender"][: 1 + n % 4]
            consent_service.give(
                db.session, f"shopper-{n}", allowed, consent_service.METHOD_PRIVACY_PAGE,
                new_key(), cipher, then,
            )  # fmt: skip
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


def signed_in_dashboard(browser, base: str, width: int, query: str = ""):  # type: ignore[no-untyped-def]
    """A phone-sized (or wider) page signed in as the analyst, every chart drawn."""
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=phone, has_touch=phone, **CSP_BYPASS
    )
    page = context.new_page()
    LoginPage(page, base).sign_in("pm@example.com", PASSWORD)
    page.wait_for_url("**/dashboard/")
    dashboard = DashboardPage(page, base)
    dashboard.open(query)
    dashboard.wait_for_charts()
    return context, dashboard


@pytest.mark.parametrize("width", [360, 390])
def test_on_a_phone_every_chart_table_and_filter_fits_the_screen(seeded, browser, width):
    context, dashboard = signed_in_dashboard(browser, seeded, width)
    try:
        assert dashboard.overflow() == 0
        assert dashboard.charts_off_screen() == []
        # No toolbar over the charts: nothing to tap by mistake, nothing hiding a bar.
        assert dashboard.page.locator(".modebar").count() == 0
        dashboard.open_every_numbers_table()
        # A wide table (the cross-tab) scrolls inside its own box, not the page.
        assert dashboard.overflow() == 0
        for select in dashboard.page.locator(".filters select").all():
            box = select.bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width
    finally:
        context.close()


def test_every_chart_has_a_table_of_its_numbers(seeded, browser):
    context, dashboard = signed_in_dashboard(browser, seeded, 1400)
    try:
        tables = dashboard.numbers_tables()
        assert tables == [f"numbers-{key}" for key in DashboardPage.CHARTS]
        dashboard.open_every_numbers_table()
        cross = dashboard.page.locator("#numbers-cross table")
        # Every square of the heatmap is a cell of the table: rows x columns.
        squares = dashboard.page.evaluate(
            "JSON.parse(document.getElementById('figures').textContent).cross.data[0].z.flat()"
            ".length"
        )
        assert cross.locator("tbody td").count() == squares
        consent = dashboard.page.inner_text("#numbers-consent")
        assert "Consent choices made" in consent and "%" in consent
    finally:
        context.close()


def test_numbers_on_the_page_have_thousands_separators(seeded, browser):
    context, dashboard = signed_in_dashboard(browser, seeded, 1400)
    try:
        dashboard.open_every_numbers_table()
        text = dashboard.page.inner_text("main")
        # The funnel's "shown" counter is in the thousands with 1,500 responses.
        assert re.search(r"\b\d,\d{3}\b", text)
        assert not re.search(r"\b\d{4,}\b(?![-\d])", text.replace("2026", ""))
    finally:
        context.close()


def test_the_map_names_each_state_and_its_count_and_its_key_starts_at_zero(seeded, browser):
    context, dashboard = signed_in_dashboard(browser, seeded, 1400)
    page = dashboard.page
    try:
        ticks = page.locator("#chart-state .colorbar .cbaxis text").all_text_contents()
        assert ticks[0] == "0" and len(ticks) >= 3
        assert page.locator("#chart-state .colorbar .cbtitle").text_content() == "Respondents"
        # Kano, a big and roughly round state: hovered in the middle of its outline.
        kano = page.evaluate(
            """() => {
                const figure = JSON.parse(document.getElementById("figures").textContent).state;
                return figure.data.findIndex(t => (t.text || "").startsWith("Kano: "));
            }"""
        )
        page.locator("#chart-state").scroll_into_view_if_needed()
        box = page.locator("#chart-state path.js-fill").nth(kano).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        label = page.locator("#chart-state .hovertext")
        label.wait_for()
        assert re.fullmatch(r"Kano: [\d,]+ ±\d+", label.text_content().strip())
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_axe_finds_no_accessibility_violations_on_the_dashboard(seeded, browser, width):
    context, dashboard = signed_in_dashboard(browser, seeded, width)
    try:
        assert axe_violations(dashboard.page) == []
        dashboard.open_every_numbers_table()
        dashboard.page.click("#how-we-protect-people summary")
        assert axe_violations(dashboard.page) == []
    finally:
        context.close()


def test_the_lga_picker_follows_the_area_picker_before_show_is_pressed(seeded, browser):
    context, dashboard = signed_in_dashboard(browser, seeded, 390)
    page = dashboard.page
    try:
        page.select_option("#area", label="South East")
        offered = page.locator("#lga_state option").all_inner_texts()
        assert offered == ["Abia", "Anambra", "Ebonyi", "Enugu", "Imo"]
        page.select_option("#lga_state", label="Enugu")
        page.click(".filters button.primary")
        page.wait_for_url("**area=zone*")
        page.locator("#chart-lga").scroll_into_view_if_needed()
        page.wait_for_selector("#chart-lga svg.main-svg")
        assert page.inner_text("#heading-lga") == "Local government areas of Enugu"
        page.select_option("#area", label="All of Nigeria")
        assert page.locator("#lga_state option").count() == 37
        assert page.input_value("#lga_state") == "NG-EN"
    finally:
        context.close()


def test_plotly_is_fetched_and_charts_drawn_only_as_they_come_near_the_screen(seeded, browser):
    context = browser.new_context(viewport={"width": 390, "height": 700}, is_mobile=True)
    page = context.new_page()
    try:
        LoginPage(page, seeded).sign_in("pm@example.com", PASSWORD)
        page.wait_for_url("**/dashboard/")
        dashboard = DashboardPage(page, seeded)
        # On a phone the filters fill the first screen: no chart is near it yet.
        page.wait_for_load_state("networkidle")
        assert not dashboard.plotly_loaded() and dashboard.charts_drawn() == 0
        page.locator("#chart-weekly").scroll_into_view_if_needed()
        page.wait_for_selector("#chart-weekly svg.main-svg")
        assert dashboard.plotly_loaded()
        assert 1 <= dashboard.charts_drawn() < len(DashboardPage.CHARTS)
        dashboard.wait_for_charts()
        assert dashboard.charts_drawn() == len(DashboardPage.CHARTS)
    finally:
        context.close()
