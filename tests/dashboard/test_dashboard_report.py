"""What the dashboard and its exports show: sums of the stored release, with margins of error."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import secrets
from collections import Counter
from datetime import timedelta

import pytest
from dashboard_helpers import (
    EXACT,
    make_respond,
    release,
    report_for,
    sign_in,
    week_day,
    week_start,
)
from sqlalchemy import select

from surveys import reference
from surveys.extensions import db
from surveys.models import Response
from surveys.services import answers as answer_service
from surveys.services import catalogue
from surveys.services.reporting import privacy, tables
from surveys.services.reporting import report as reports
from surveys.services.respondents import respondent_hash

K = 10
FIGURES = re.compile(r'<script type="application/json" id="figures">(.*?)</script>', re.S)


@pytest.fixture
def exact_app(dashboard_app):
    return dashboard_app(**EXACT)


@pytest.fixture
def client_for():
    from dashboard_helpers import make_staff_in

    def make(app):
        client = app.test_client()
        assert sign_in(client, make_staff_in(app, "analyst")).status_code == 303
        return client

    return make


def _mixed_population(app, n=260, seed=5):
    """Answers with many small cells: a few big states, many tiny ones, rare bands."""
    rng = random.Random(seed)
    states = ["NG-LA"] * 8 + ["NG-KN"] * 5 + ["NG-OY", "NG-BY", "NG-EK", "NG-FC"]
    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        for _ in range(n):
            state = rng.choice(states)
            lgas = list(reference.lga_choices(state))
            answers = {
                "state": state,
                "lga": rng.choice(lgas[:3] + lgas[-1:]),
                "age_band": rng.choice(["age_18_24", "age_25_34", "age_25_34", "age_65_plus"]),
                "income_band": rng.choice(
                    ["income_below_70k", "income_70k_150k", "income_1m_plus"]
                ),
                "gender": rng.choice(["female", "male", "male", "another_gender"]),
            }
            who = respondent_hash(secrets.token_urlsafe(32))
            day = week_day(rng.randrange(1, 5))
            answer_service.save_answers(db.session, survey, who, answers, day)
        db.session.commit()
    release(app)


def _true_counts(app, column):
    with app.app_context():
        values = db.session.scalars(select(getattr(Response, column))).all()
    return Counter(value or "skipped" for value in values)


def _csv(client, key, **query):
    response = client.get(f"/dashboard/export/{key}.csv", query_string=query)
    assert response.status_code == 200, (key, response.status_code)
    assert response.content_type == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _numbers(rows, column):
    return [int(row[column]) for row in rows[1:] if row[column].lstrip("-").isdigit()]


def _map_number(text):
    """The count in a map state's label, "Kano: 1,256 ±18", as the CSV writes it: "1256"."""
    return text.split(": ", 1)[1].split(" ±")[0].replace(",", "")


def test_no_chart_or_export_shows_a_number_under_k_and_every_number_has_its_margin(
    dashboard_app, client_for
):
    app = dashboard_app()  # with the real noise
    _mixed_population(app)
    client = client_for(app)
    for query in (
        {},
        {"area": "state:NG-KN"},
        {"area": "zone:South West", "x": "state", "y": "gender"},
    ):
        page = client.get("/dashboard/", query_string=query)
        assert page.status_code == 200
        figures = json.loads(FIGURES.search(page.get_data(as_text=True)).group(1))
        keys = set(figures)
        assert {
            "weekly", "funnel", "zone", "state", "lga", "age_band", "income_band", "gender",
            "cross", "consent",
        } - {"consent"} <= keys  # fmt: skip
        for key in keys - {"consent"}:
            rows = _csv(client, key, **query)
            value_column = 4 if key == "cross" else 2
            assert all(n >= K for n in _numbers(rows, value_column)), key
            assert rows[0][-1] == "margin_95"
            assert all(row[-1].startswith("±") or row[-1] == "" for row in rows[1:]), key
            for trace in figures[key]["data"]:
                if trace["type"] == "bar":
                    values = trace["x" if trace.get("orientation") == "h" else "y"]
                    assert all(v == 0 or v >= K for v in values), key
                    error = trace.get("error_x") or trace.get("error_y")
                    assert error["visible"] and len(error["array"]) == len(values), key
                for row in trace.get("z") or []:
                    assert all(v is None or v >= K for v in row)
                if key == "state" and "text" in trace:
                    number = _map_number(trace["text"])
                    assert not number.isdigit() or int(number) >= K


def test_without_noise_every_number_is_the_true_count_and_small_ones_read_fewer_than_k(
    exact_app,
):
    _mixed_population(exact_app)
    report = report_for(exact_app, first_week=week_start(4), last_week=week_start(1))
    for attribute in ("age_band", "gender", "income_band"):
        truth = _true_counts(exact_app, attribute)
        for code, _, estimate in report.tables[attribute].rows:
            assert estimate.value == truth[code], (attribute, code)
            assert estimate.shown(K) == (truth[code] if truth[code] >= K else None)
    assert report.population.value == 260


def test_the_margin_of_error_follows_from_the_noise_and_the_number_of_cells_summed(
    dashboard_app,
):
    app = dashboard_app()
    # Enough that the real noise never takes the South West view under K (with 30, twelve
    # weeks of zone noise, sd 12.6, did so about one run in twenty and hid its charts).
    make_respond(app)("about-you", {"state": "NG-LA", "gender": "female"}, times=80)
    make_respond(app)("about-you", {"state": "NG-LA"}, day=week_day(12))  # first week of twelve
    release(app)
    layouts = tables.layouts_for(["state", "lga", "age_band", "income_band", "gender"])
    sigma = privacy.split(layouts, privacy.Budget().rho)
    weeks = 12
    national = report_for(app)
    zone = report_for(app, zone="South West")
    (_, _, female), *_ = national.tables["gender"].rows
    assert female.margin == pytest.approx(1.96 * math.sqrt(weeks) * sigma["gender@national"])
    # A zone's answers are the sum of its six states' cells, week by week.
    (_, _, female_sw), *_ = zone.tables["gender"].rows
    assert female_sw.margin == pytest.approx(1.96 * math.sqrt(6 * weeks) * sigma["gender@state"])
    by_week = {code: e for code, _, e in national.tables["weekly"].rows}
    assert by_week[week_start(1)].margin == pytest.approx(1.96 * sigma["total"])


def test_a_survey_stays_hidden_until_its_released_weeks_hold_k_responses(dashboard_app, client_for):
    app = dashboard_app(**EXACT)
    add = make_respond(app)
    add("about-you", {"state": "NG-LA", "gender": "female"}, times=K - 1)
    client = client_for(app)
    text = client.get("/dashboard/").get_data(as_text=True)
    assert "No week of this survey has been released yet" in text
    release(app)
    text = client.get("/dashboard/").get_data(as_text=True)
    assert "fewer than 10 responses in its released weeks" in text
    assert 'id="figures"' not in text
    assert client.get("/dashboard/export/gender.csv").status_code == 404
    # Answers counted into week 1 after it was released (as a late-settled day would be)
    # do not reopen it.
    add("about-you", {"state": "NG-LA", "gender": "female"}, times=K + 5, day=week_day(1))
    release(app)
    assert 'id="figures"' not in client.get("/dashboard/").get_data(as_text=True)


def test_a_view_whose_population_is_under_k_shows_only_that_fact(exact_app, client_for):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA", "gender": "female"}, times=40)
    add("about-you", {"state": "NG-BY", "gender": "male"}, times=4)
    release(exact_app)
    client = client_for(exact_app)
    page = client.get("/dashboard/", query_string={"area": "state:NG-BY"})
    text = page.get_data(as_text=True)
    assert "Fewer than 10 people answered in this view" in text
    assert 'id="figures"' not in text and "Download" not in text
    gone = client.get("/dashboard/export/gender.csv", query_string={"area": "state:NG-BY"})
    assert gone.status_code == 404


def test_categories_come_from_the_public_lists_never_from_the_data(exact_app):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA", "gender": "female", "age_band": "age_25_34"}, times=30,
        day=week_day(2))  # fmt: skip
    release(exact_app, today=week_day(1))
    before = report_for(exact_app)
    add("about-you", {"state": "NG-LA", "gender": "another_gender", "age_band": "age_65_plus"})
    release(exact_app)
    after = report_for(exact_app)
    assert after.population.value == before.population.value + 1
    for key in ("gender", "age_band", "income_band", "state", "zone", "lga"):
        assert [r[0] for r in before.tables[key].rows] == [r[0] for r in after.tables[key].rows]
    assert [code for code, _, _ in after.tables["gender"].rows] == [
        *reference.GENDERS, reference.PREFER_NOT_TO_SAY, "skipped",
    ]  # fmt: skip
    assert len(after.tables["state"].rows) == 37 + 2


def test_every_cell_is_released_even_the_empty_ones(exact_app):
    make_respond(exact_app)("about-you", {"state": "NG-LA"}, times=12)
    release(exact_app)
    with exact_app.app_context():
        from surveys.models import ReleaseTable

        rows = {t.table_key: t for t in db.session.scalars(select(ReleaseTable))}
    assert len(rows["lga"].counts) == 774 + 2 * 37
    assert len(rows["age_band+income_band@state"].counts) == 39 * 8 * 8
    assert rows["state"].counts.count(0) == 38  # exact: only Lagos answered


def test_small_lgas_are_pooled_on_their_released_numbers(exact_app):
    add = make_respond(exact_app)
    lgas = list(reference.lga_choices("NG-LA"))
    add("about-you", {"state": "NG-LA", "lga": lgas[0]}, times=30)
    for lga in lgas[1:5]:
        add("about-you", {"state": "NG-LA", "lga": lga}, times=3)
    add("about-you", {"state": "NG-OG", "lga": None}, times=4)  # Ogun: South West, too few
    add("about-you", {"state": "NG-KN"}, times=15)
    release(exact_app)
    report = report_for(exact_app, lga_state="NG-LA")
    lga_rows = {code: (label, e) for code, label, e in report.tables["lga"].rows}
    assert lga_rows[lgas[0]][1].value == 30
    label, pooled = lga_rows["NG-LA-other"]
    assert label == f"{len(lgas) - 1} other LGAs" and pooled.value == 12
    # The pool sums 19 released cells: its margin says so.
    assert pooled.variance == pytest.approx(19 * report.tables["lga"].rows[0][2].variance)
    assert all(code not in lga_rows for code in lgas[1:])
    states = {code: e for code, _, e in report.tables["state"].rows}
    zones = {code: e for code, _, e in report.tables["zone"].rows}
    assert states["NG-OG"].shown(K) is None
    assert zones["South West"].value == 42 + 4  # Ogun still counts in its zone


def test_a_zone_or_a_state_view_sums_only_its_own_states(exact_app):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA", "gender": "female", "age_band": "age_18_24"}, times=20)
    add("about-you", {"state": "NG-OG", "gender": "male", "age_band": "age_18_24"}, times=11)
    add("about-you", {"state": "NG-KN", "gender": "male", "age_band": "age_25_34"}, times=25)
    release(exact_app)
    zone = report_for(exact_app, zone="South West", cross_x="age_band", cross_y="gender")
    assert zone.population.value == 31
    gender = {code: e.value for code, _, e in zone.tables["gender"].rows}
    assert (gender["female"], gender["male"]) == (20, 11)
    assert zone.cross.cells[("age_18_24", "male")].value == 11
    state = report_for(exact_app, state="NG-KN", cross_x="state", cross_y="age_band")
    assert state.population.value == 25
    assert state.cross.rows == [("NG-KN", "Kano")]
    assert state.cross.cells[("NG-KN", "age_25_34")].value == 25
    national = report_for(exact_app, cross_x="zone", cross_y="gender")
    assert national.cross.cells[("South West", "male")].value == 11
    assert national.cross.cells[("North West", "male")].value == 25


def test_exports_are_the_same_numbers_as_the_charts(dashboard_app, client_for):
    app = dashboard_app()
    _mixed_population(app, n=200, seed=9)
    client = client_for(app)
    query = {"x": "age_band", "y": "gender"}
    text = client.get("/dashboard/", query_string=query).get_data(as_text=True)
    figures = json.loads(FIGURES.search(text).group(1))
    for key, figure in figures.items():
        rows = _csv(client, key, **query)
        if key == "cross":
            trace = figure["data"][0]
            chart = [cell.replace(",", "") for row in trace["text"] for cell in row]
            assert chart == [row[4] for row in rows[1:]]
        elif key == "consent":
            shares = [row for row in rows[1:] if row[0] != "choices"]
            assert list(figure["data"][0]["text"]) == [
                f"{float(row[2]):.0f}%" if row[4][:1].isdigit() else row[4] for row in shares
            ]
        elif key == "state":
            chart = {t["name"]: _map_number(t["text"]) for t in figure["data"] if "text" in t}
            export = {row[1]: row[2] for row in rows[1:] if row[0].startswith("NG-")}
            assert chart == export
        else:
            trace = figure["data"][0]
            # The page writes 1,256 where the CSV has 1256.
            assert [t.replace(",", "") for t in trace["text"]] == [row[2] for row in rows[1:]], key
            labels = trace["y"] if trace.get("orientation") == "h" else trace["x"]
            assert list(labels) == [row[1] for row in rows[1:]], key
            error = trace.get("error_x") or trace.get("error_y")
            shown = [row for row in rows[1:] if row[2].isdigit()]
            assert len(shown) == sum(1 for m in error["array"] if m), key


def test_bad_filters_get_a_clear_error_and_no_numbers(exact_app, client_for):
    make_respond(exact_app)("about-you", {"state": "NG-LA"}, times=20)
    release(exact_app)
    client = client_for(exact_app)
    cases = {
        "survey=nope": "Choose a survey from the list.",
        "from=yesterday": "must be a date like",
        f"from={week_day(2).isoformat()}": "must be a Monday",
        f"from={week_start(1)}&to={week_start(3)}": "must not be after the last week",
        f"to={week_start(0)}": "a week that has already ended",
        "area=state:NG-XX": "Choose a state from the list.",
        "area=zone:Atlantis": "Choose a zone from the list.",
        "area=moon": "Choose an area from the list.",
        "x=gender&y=gender": "two different questions",
        "x=respondent_hash&y=gender": "Choose two questions",
        f"from={week_start(110)}": "at most 104 weeks",
    }
    for query, message in cases.items():
        page = client.get(f"/dashboard/?{query}")
        assert page.status_code == 400, query
        text = page.get_data(as_text=True)
        assert message in text, (query, text[:300])
        assert 'id="figures"' not in text
        export = client.get(f"/dashboard/export/gender.csv?{query}")
        assert export.status_code == 400 and message in export.get_data(as_text=True)
    assert client.get("/dashboard/export/respondents.csv").status_code == 404


def test_a_week_that_has_ended_but_is_not_released_yet_cannot_be_asked_for(exact_app, client_for):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA"}, times=20, day=week_day(3))
    release(exact_app, today=week_day(2))  # as if the job last ran two weeks ago
    client = client_for(exact_app)
    page = client.get(f"/dashboard/?to={week_start(1)}")
    assert page.status_code == 400
    assert "is not released yet" in page.get_data(as_text=True)
    report = report_for(exact_app)
    assert report.view.last_week.isoformat() == week_start(3)


def test_only_weeks_that_have_ended_are_released_or_shown(exact_app):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA"}, times=20, day=week_day(1))
    add("about-you", {"state": "NG-LA"}, times=20, day=week_day(0, weekday=0))  # this week
    release(exact_app)
    report = report_for(exact_app)
    assert report.population.value == 20
    assert report.view.last_week.isoformat() == week_start(1)


def test_a_change_or_deletion_after_the_release_does_not_reopen_the_week(exact_app):
    """Closed weeks stay as released: no fresh noisy copy to average or subtract. The answers
    store itself honours the change and the deletion at once."""
    (changer,) = make_respond(exact_app)(
        "about-you", {"state": "NG-LA", "age_band": "age_18_24"}, day=week_day(3)
    )
    (deleter,) = make_respond(exact_app)(
        "about-you", {"state": "NG-LA", "age_band": "age_25_34"}, day=week_day(3)
    )
    make_respond(exact_app)("about-you", {"state": "NG-LA", "gender": "male"}, times=30)
    release(exact_app)
    before = report_for(exact_app, cross_x="age_band", cross_y="income_band")
    with exact_app.app_context():
        survey = catalogue.find(db.session, "about-you")
        changed = {"state": "NG-KN", "age_band": "age_65_plus", "income_band": "income_1m_plus"}
        answer_service.save_answers(db.session, survey, changer, changed, week_day(0))
        answer_service.delete_answers(db.session, deleter)
        db.session.commit()
        assert answer_service.find_response(db.session, survey, deleter) is None
    assert release(exact_app) == []  # settles first: the change and the deletion reach the rows
    with exact_app.app_context():
        assert (
            db.session.scalar(select(Response).where(Response.respondent_hash == deleter)) is None
        )
    after = report_for(exact_app, cross_x="age_band", cross_y="income_band")
    assert after.tables == before.tables
    assert after.cross == before.cross


def test_consent_choices_are_counted_weekly_from_each_subjects_newest_choice(exact_app):
    from surveys import clock
    from surveys.services import consent as consent_service
    from surveys.services.respondents import new_key

    make_respond(exact_app)("about-you", {"state": "NG-LA"}, times=20)
    with exact_app.app_context():
        cipher = consent_service.cipher_for(exact_app.config["LINK_ENCRYPTION_KEY"])
        method = consent_service.METHOD_PRIVACY_PAGE
        for n in range(15):
            attributes = ["state", "gender"] if n < 12 else ["state"]
            consent_service.give(
                db.session, f"cust-{n}", attributes, method, new_key(), cipher, clock.now()
            )
        for subject in ("cust-0", "cust-1", "cust-14"):
            consent_service.withdraw(
                db.session, subject, delete_answers=False, method=method, cipher=cipher,
                now=clock.now(),
            )  # fmt: skip
        db.session.commit()
    # These choices were made this week: released only once the week is over.
    release(exact_app)
    assert report_for(exact_app).consent.available is False
    next_week = week_day(0) + timedelta(weeks=1)
    release(exact_app, today=next_week)
    with exact_app.app_context():
        survey = catalogue.find(db.session, "about-you")
        view = reports.make_view(survey, next_week, reports.released_weeks(db.session, survey.id))
        consent = reports.consent_table(db.session, view)
    assert consent.available and consent.whole.value == 15
    allowed = {code: e.value for code, _, e in consent.rows}
    # Withdrawn choices allow nothing; each subject counts once, with their newest choice.
    assert allowed == {"state": 12, "lga": 0, "age_band": 0, "income_band": 0, "gender": 10}


LGA_OPTIONS = re.compile(r'<select id="lga_state" name="lga_state">(.*?)</select>', re.S)


def _lga_picker(page_text):
    """(offered state codes, the selected one) of the "LGAs of" picker."""
    options = LGA_OPTIONS.search(page_text).group(1)
    offered = re.findall(r'<option value="([^"]+)"', options)
    selected = re.findall(r'<option value="([^"]+)" selected', options)
    return offered, selected


def test_the_lga_picker_offers_only_the_states_of_the_chosen_area(exact_app, client_for):
    add = make_respond(exact_app)
    add(
        "about-you", {"state": "NG-KN", "lga": next(iter(reference.lga_choices("NG-KN")))}, times=15
    )
    add("about-you", {"state": "NG-LA"}, times=15)
    release(exact_app)
    client = client_for(exact_app)
    north_west = {c for c, s in reference.geography().states.items() if s.zone == "North West"}

    everywhere, _ = _lga_picker(client.get("/dashboard/").get_data(as_text=True))
    assert len(everywhere) == 37

    # The Lagos picked in an earlier view is not offered in the North West, and the LGA chart
    # draws a North West state (Jigawa, the first by name) instead of an empty Lagos.
    page = client.get("/dashboard/", query_string={"area": "zone:North West", "lga_state": "NG-LA"})
    offered, selected = _lga_picker(page.get_data(as_text=True))
    assert set(offered) == north_west and selected == ["NG-JI"]
    report = report_for(exact_app, zone="North West", lga_state="NG-LA")
    assert report.view.lga_state == "NG-JI" and not report.tables["lga"].note

    page = client.get("/dashboard/", query_string={"area": "zone:North West", "lga_state": "NG-KN"})
    assert _lga_picker(page.get_data(as_text=True)) == (offered, ["NG-KN"])
    assert "Local government areas of Kano" in page.get_data(as_text=True)

    page = client.get("/dashboard/", query_string={"area": "state:NG-KN", "lga_state": "NG-LA"})
    assert _lga_picker(page.get_data(as_text=True)) == (["NG-KN"], ["NG-KN"])
    # A state that does not exist is still an error, not a silent fallback.
    bad = client.get("/dashboard/", query_string={"lga_state": "NG-XX"})
    assert bad.status_code == 400 and "Choose a state from the list" in bad.get_data(as_text=True)
