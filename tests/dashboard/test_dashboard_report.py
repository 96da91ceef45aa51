"""What the dashboard and its exports show: protected numbers from fixed categories only."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import secrets
from collections import Counter

import pytest
from dashboard_helpers import make_respond, report_for, sign_in, week_day, week_start
from sqlalchemy import select

from surveys import reference
from surveys.extensions import db
from surveys.models import Response
from surveys.services import answers as answer_service
from surveys.services import catalogue, reports
from surveys.services.disclosure import Hidden
from surveys.services.respondents import respondent_hash
from tests.conftest import settle_now

K = 10
#: No noise at all (e^-50 is nothing): the suppression rules can be checked number by number.
EXACT = {"DASHBOARD_NOISE_EPSILON": 50.0}
FIGURES = re.compile(r'<script type="application/json" id="figures">(.*?)</script>', re.S)


@pytest.fixture
def exact_app(dashboard_app):
    return dashboard_app(**EXACT)


def _signed_in(app, make_staff_in_app):
    client = app.test_client()
    assert sign_in(client, make_staff_in_app(app)).status_code == 303
    return client


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
    settle_now(app)


def _true_counts(app, column):
    with app.app_context():
        values = db.session.scalars(select(getattr(Response, column))).all()
    return Counter(value or "skipped" for value in values)


def _csv(client, key, **query):
    response = client.get(f"/dashboard/export/{key}.csv", query_string=query)
    assert response.status_code == 200, (key, response.status_code)
    assert response.content_type == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _numbers(rows):
    return [int(cell) for row in rows[1:] for cell in row[-1:] if cell.isdigit()]


def test_every_chart_and_every_export_hides_cells_under_k(dashboard_app, client_for):
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
            "weekly",
            "funnel",
            "zone",
            "state",
            "lga",
            "age_band",
            "income_band",
            "gender",
            "cross",
        } <= keys
        for key in keys:
            rows = _csv(client, key, **query)
            assert all(n >= K for n in _numbers(rows)), key
            for trace in figures[key]["data"]:
                if trace["type"] == "bar":
                    values = trace["x" if trace.get("orientation") == "h" else "y"]
                    assert all(v == 0 or v >= K for v in values), key
                for row in trace.get("z") or []:
                    assert all(v is None or v >= K for v in row)
                if key == "state" and "text" in trace:
                    number = trace["text"].split(": ", 1)[1]
                    assert not number.isdigit() or int(number) >= K


def test_hidden_cells_are_exactly_those_under_k_plus_the_secondary_ones(exact_app):
    _mixed_population(exact_app)
    report = report_for(exact_app, first_week=week_start(4), last_week=week_start(1))
    for attribute, column in (
        ("age_band", "age_band"),
        ("gender", "gender"),
        ("income_band", "income_band"),
    ):
        truth = _true_counts(exact_app, column)
        for code, _, shown in report.tables[attribute].rows:
            if truth[code] < K:
                assert shown.hidden is Hidden.SMALL, (attribute, code)
            elif shown.is_hidden:
                assert shown.hidden is Hidden.SECONDARY
            else:
                assert shown.value == truth[code]  # no noise in this app
        hidden = [s for _, _, s in report.tables[attribute].rows if s.is_hidden]
        assert len(hidden) != 1


def test_a_lone_small_cell_is_protected_by_secondary_suppression_on_the_page(exact_app, client_for):
    add = make_respond(exact_app)
    bands = [b for b in reference.AGE_BANDS if b != reference.UNDER_18]
    for band in bands[:-1]:
        add("about-you", {"age_band": band, "state": "NG-LA", "gender": "female"}, times=12)
    add("about-you", {"age_band": "prefer_not_to_say", "state": "NG-LA"}, times=11)
    add("about-you", {"age_band": None, "state": "NG-LA"}, times=13)
    add("about-you", {"age_band": bands[-1], "state": "NG-LA", "gender": "male"}, times=3)
    rows = _csv(client_for(exact_app), "age_band")
    shown = {row[0]: row[2] for row in rows[1:]}
    assert shown[bands[-1]] == "fewer than 10"
    assert list(shown.values()).count("hidden") == 1
    # The smallest other band went with it, so total minus the shown bands is two cells.
    assert shown["prefer_not_to_say"] == "hidden"


def test_a_survey_stays_hidden_until_it_has_k_responses(dashboard_app, client_for):
    app = dashboard_app()
    add = make_respond(app)
    add("about-you", {"state": "NG-LA", "gender": "female"}, times=K - 1)
    client = client_for(app)
    text = client.get("/dashboard/").get_data(as_text=True)
    assert "fewer than 10 responses so far" in text
    assert 'id="figures"' not in text
    assert client.get("/dashboard/export/gender.csv").status_code == 404
    add("about-you", {"state": "NG-LA", "gender": "female"}, times=K + 5)
    assert 'id="figures"' in client.get("/dashboard/").get_data(as_text=True)


def test_a_view_whose_population_is_under_k_shows_only_that_fact(exact_app, client_for):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA", "gender": "female"}, times=40)
    add("about-you", {"state": "NG-BY", "gender": "male"}, times=4)
    client = client_for(exact_app)
    page = client.get("/dashboard/", query_string={"area": "state:NG-BY"})
    text = page.get_data(as_text=True)
    assert "Fewer than 10 people answered in this view" in text
    assert 'id="figures"' not in text and "Download" not in text
    assert re.search(r"\b4\b", text.split("<main", 1)[1]) is None
    gone = client.get("/dashboard/export/gender.csv", query_string={"area": "state:NG-BY"})
    assert gone.status_code == 404


def test_categories_come_from_the_public_lists_never_from_the_data(exact_app):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA", "gender": "female", "age_band": "age_25_34"}, times=30)
    before = report_for(exact_app)
    add("about-you", {"state": "NG-LA", "gender": "another_gender", "age_band": "age_65_plus"})
    after = report_for(exact_app)
    for key in ("gender", "age_band", "income_band", "state", "zone", "weekly", "lga"):
        assert [r[0] for r in before.tables[key].rows] == [r[0] for r in after.tables[key].rows]
    assert [code for code, _, _ in after.tables["gender"].rows] == [
        *reference.GENDERS, reference.PREFER_NOT_TO_SAY, "skipped",
    ]  # fmt: skip
    assert len(after.tables["state"].rows) == 37 + 2


def test_small_lgas_roll_up_into_one_row_and_small_states_into_their_zone(exact_app):
    add = make_respond(exact_app)
    lgas = list(reference.lga_choices("NG-LA"))
    add("about-you", {"state": "NG-LA", "lga": lgas[0]}, times=30)
    for lga in lgas[1:5]:
        add("about-you", {"state": "NG-LA", "lga": lga}, times=3)
    add("about-you", {"state": "NG-OG", "lga": None}, times=4)  # Ogun: South West, too few
    add("about-you", {"state": "NG-KN"}, times=15)
    report = report_for(exact_app, lga_state="NG-LA")
    lga_rows = {code: (label, shown) for code, label, shown in report.tables["lga"].rows}
    assert lga_rows[lgas[0]][1].value == 30
    label, pooled = lga_rows["NG-LA-other"]
    assert label == f"{len(lgas) - 1} other LGAs" and pooled.value == 12
    assert all(code not in lga_rows for code in lgas[1:])
    states = {code: shown for code, _, shown in report.tables["state"].rows}
    zones = {code: shown for code, _, shown in report.tables["zone"].rows}
    assert states["NG-OG"].is_hidden
    assert zones["South West"].value == 42 + 4  # Ogun still counts in its zone


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
            chart = [cell for row in trace["text"] for cell in row]
            assert chart == [row[4] for row in rows[1:]]
        elif key == "consent":
            shares = [row for row in rows[1:] if row[0] != "signed_in"]
            assert list(figure["data"][0]["text"]) == [row[2] for row in shares]
            assert list(figure["data"][0]["x"]) == [row[1] for row in shares]
        elif key == "state":
            chart = {t["name"]: t["text"].split(": ", 1)[1] for t in figure["data"] if "text" in t}
            export = {row[1]: row[2] for row in rows[1:] if row[0].startswith("NG-")}
            assert chart == export
        else:
            trace = figure["data"][0]
            assert list(trace["text"]) == [row[2] for row in rows[1:]], key
            labels = trace["y"] if trace.get("orientation") == "h" else trace["x"]
            assert list(labels) == [row[1] for row in rows[1:]], key


def test_bad_filters_get_a_clear_error_and_no_numbers(exact_app, client_for):
    make_respond(exact_app)("about-you", {"state": "NG-LA"}, times=20)
    client = client_for(exact_app)
    cases = {
        "survey=nope": "Choose a survey from the list.",
        "from=yesterday": "must be a date like",
        f"from={week_day(2).isoformat()}": "must be a Monday",
        f"from={week_start(1)}&to={week_start(3)}": "must not be after the last week",
        f"to={week_start(-1)}": "a week that has already ended",
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


def test_only_whole_weeks_that_have_ended_are_shown(exact_app):
    add = make_respond(exact_app)
    add("about-you", {"state": "NG-LA"}, times=20, day=week_day(1))
    add("about-you", {"state": "NG-LA"}, times=20, day=week_day(0, weekday=0))  # this week
    report = report_for(exact_app)
    assert report.population.value == 20
    assert report.view.last_week.isoformat() == week_start(1)


def _consenting_subjects(app, attributes_of: dict[str, list[str]], withdrawn: list[str]) -> None:
    from surveys import clock
    from surveys.extensions import db
    from surveys.services import consent as consent_service
    from surveys.services.respondents import new_key

    with app.app_context():
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        method = consent_service.METHOD_PRIVACY_PAGE
        for subject, attributes in attributes_of.items():
            consent_service.give(
                db.session, subject, attributes, method, new_key(), cipher, clock.now()
            )
        for subject in withdrawn:
            consent_service.withdraw(
                db.session,
                subject,
                delete_answers=False,
                method=method,
                cipher=cipher,
                now=clock.now(),
            )
        db.session.commit()


def test_consent_counts_come_from_each_subjects_newest_consent_record(exact_app):
    from surveys.extensions import db
    from surveys.services.consent_stats import consent_counts

    subjects = {f"cust-{n}": ["state", "gender"] if n < 12 else ["state"] for n in range(15)}
    _consenting_subjects(exact_app, subjects, withdrawn=["cust-0", "cust-1", "cust-14"])
    with exact_app.app_context():
        counts = consent_counts(db.session)
    assert counts.signed_in == 15
    assert counts.consented == {
        "state": 12,
        "lga": 0,
        "age_band": 0,
        "income_band": 0,
        "gender": 10,
    }


def test_the_consent_chart_shows_protected_shares_from_the_identity_store(exact_app, client_for):
    make_respond(exact_app)("about-you", {"state": "NG-LA"}, times=20)
    _consenting_subjects(exact_app, {f"cust-{n}": ["state"] for n in range(12)}, withdrawn=[])
    text = client_for(exact_app).get("/dashboard/").get_data(as_text=True)
    assert 'id="chart-consent"' in text and 'id="consent-unavailable"' not in text
    export = client_for(exact_app).get("/dashboard/export/consent.csv")
    assert export.status_code == 200
    rows = export.get_data(as_text=True).splitlines()
    assert any(row.startswith("State") or "state" in row for row in rows[1:])
    assert any("fewer than" in row for row in rows), "the unconsented attributes are hidden"


def test_consent_shares_are_protected_like_every_other_count():
    from surveys.services.consent_stats import ConsentCounts
    from surveys.services.disclosure import CounterProtector

    table = reports.consent_table(
        ConsentCounts(signed_in=200, consented={"state": 120, "gender": 4}),
        CounterProtector("secret", K, 50.0),
    )
    shown = {code: s for code, _, s in table.rows}
    assert table.available and table.whole.value == 200
    assert shown["state"].value == 120
    assert shown["gender"].is_hidden and shown["age_band"].is_hidden  # 4 and 0: under K
