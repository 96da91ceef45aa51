"""The weekly release: fixed tables, every response in one cell of each, noise of the stated
scale from OpenDP, the budget never exceeded, each closed week released once."""

from __future__ import annotations

import math
import random
import statistics
from datetime import date, timedelta

import pytest
from dashboard_helpers import EXACT, make_respond, release, week_day, week_start
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveys import reference
from surveys.extensions import db
from surveys.models import Release, ReleaseTable, Response
from surveys.services import catalogue, demo
from surveys.services.reporting import privacy, tables
from surveys.services.reporting import release as releasing
from surveys.services.reporting.privacy import Budget, BudgetError

ALL_QUESTIONS = ["state", "lga", "age_band", "income_band", "gender"]


def _stored(app, scope_survey: str | None = "about-you") -> dict[date, dict[str, ReleaseTable]]:
    with app.app_context():
        query = select(Release)
        if scope_survey:
            survey = catalogue.find(db.session, scope_survey)
            query = query.where(Release.survey_id == survey.id)
        result = {r.week: {t.table_key: t for t in r.tables} for r in db.session.scalars(query)}
        db.session.expunge_all()
        return result


def test_every_closed_week_from_the_first_answer_is_released_once_and_never_the_open_one(app):
    add = make_respond(app)
    add("about-you", {"state": "NG-LA"}, day=week_day(5))
    add("about-you", {"state": "NG-LA"}, day=week_day(0))  # this week: still open
    weeks = release(app)
    assert [w.isoformat() for w in weeks] == [week_start(n) for n in range(5, 0, -1)]
    assert sorted(_stored(app)) == weeks  # the empty weeks between are released too
    assert release(app) == []  # idempotent
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Release)) == 5


def test_a_survey_with_an_opening_date_is_released_from_its_opening_week(app, set_survey):
    set_survey("where-you-shop", opens_on=week_day(3))
    weeks = release(app)
    assert [w.isoformat() for w in weeks] == [week_start(n) for n in (3, 2, 1)]
    assert _stored(app, "about-you") == {}  # no answers, no opening date: nothing to release


def test_a_week_released_by_another_job_first_is_left_alone(app):
    make_respond(app)("about-you", {"state": "NG-LA"}, times=3)
    release(app)
    before = _stored(app)
    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        week = releasing.week_of(week_day(1))
        # As a second job that missed the first one's commit would try to.
        assert not releasing.release_survey_week(db.session, survey, week, week_day(0), Budget())
        db.session.commit()
    after = _stored(app)
    assert {n: t.counts for n, t in after[week].items()} == {
        n: t.counts for n, t in before[week].items()
    }


def test_a_week_that_has_not_ended_cannot_be_released(app):
    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        with pytest.raises(ValueError, match="ended"):
            releasing.release_survey_week(
                db.session, survey, releasing.week_of(week_day(0)), week_day(0), Budget()
            )


def test_each_table_is_a_partition_of_the_weeks_responses(dashboard_app):
    """Without noise, every table of a week sums to its responses (the LGA table to those
    who named a state): each response is in exactly one cell, so one response more or less
    moves each table by one in one cell (L2 sensitivity 1)."""
    app = dashboard_app(**EXACT)
    with app.app_context():
        surveys = catalogue.all_surveys(db.session)
        demo.seed(db.session, surveys, 600, week_day(0), weeks=2, seed_value=11)
        db.session.commit()
    release(app)
    with app.app_context():
        for survey in catalogue.all_surveys(db.session):
            stored = {r.week: r for r in db.session.scalars(
                select(Release).where(Release.survey_id == survey.id))}  # fmt: skip
            for week, found in stored.items():
                in_week = Response.submitted_on.between(week, week + timedelta(days=6))
                mine = (Response.survey_id == survey.id) & in_week
                count = db.session.scalar(select(func.count(Response.id)).where(mine))
                with_state = db.session.scalar(
                    select(func.count(Response.id)).where(
                        mine, Response.state_code.in_(list(reference.state_choices()))
                    )
                )
                for table in found.tables:
                    if table.table_key == "funnel":
                        continue
                    expected = with_state if table.table_key == "lga" else count
                    assert sum(table.counts) == expected, (survey.slug, table.table_key)
            names = {t.table_key for r in stored.values() for t in r.tables}
            expected_names = {layout.name for layout in tables.layouts_for(survey.questions)}
            assert names == expected_names | {"funnel"}


@settings(max_examples=200, deadline=None)
@given(
    state=st.sampled_from(list(tables.categories("state"))),
    data=st.data(),
)
def test_a_response_is_coded_and_decoded_without_loss(state, data):
    lgas = list(tables.lga_categories(state)) if state in reference.state_choices() else []
    row = {
        "state": state,
        "lga": data.draw(st.sampled_from(lgas or [reference.PREFER_NOT_TO_SAY, "skipped"])),
        **{q: data.draw(st.sampled_from(list(tables.categories(q)))) for q in tables.ATTRIBUTES},
    }
    code = releasing.encode(row)
    assert 0 <= code < 2**31 and releasing.decode(code) == row


def test_the_budget_is_split_by_weight_and_opendp_accounts_for_the_whole_release():
    layouts = tables.layouts_for(ALL_QUESTIONS)
    sigmas = privacy.split(layouts, 0.5)
    measured = privacy.measure(layouts, sigmas, 0.5, releasing.decode)
    assert measured.rho == pytest.approx(0.5)
    assert sum(measured.rhos) == pytest.approx(0.5)
    for rho, sigma in zip(measured.rhos, measured.sigmas, strict=True):
        assert rho == pytest.approx(1 / (2 * sigma**2))
    # The national weekly total gets more of the budget than a state cross-tab.
    assert sigmas["total"] < sigmas["age_band+gender@state"]
    # A plan that would spend more than its budget is refused before any noise is drawn.
    with pytest.raises(BudgetError, match="over its"):
        privacy.measure(layouts, {k: v / 2 for k, v in sigmas.items()}, 0.5, releasing.decode)
    with pytest.raises(BudgetError, match="positive"):
        Budget(rho=0)


def test_a_stored_release_never_spends_more_than_the_configured_budget(dashboard_app):
    app = dashboard_app(DASHBOARD_RHO=0.3)
    make_respond(app)("about-you", {"state": "NG-LA", "gender": "female"}, times=5)
    make_respond(app)("where-you-shop", {"state": "NG-KN"}, times=5, day=week_day(2))
    release(app)
    with app.app_context():
        for found in db.session.scalars(select(Release).where(Release.kind == "survey")):
            assert found.rho <= 0.3 * (1 + 1e-9)
            per_response = [t.rho for t in found.tables if t.unit == "response"]
            assert sum(per_response) == pytest.approx(found.rho)
            (funnel,) = [t for t in found.tables if t.unit == "event"]
            assert funnel.rho == pytest.approx(app.config["DASHBOARD_EVENT_RHO"])


def test_the_noise_has_the_stated_scale_and_is_added_to_every_cell(app):
    """One week, almost all of whose cells are empty: the released values of the empty cells
    are pure noise. Their variance must be σ² (discrete Gaussian variance is within 1% of σ²
    at these scales). With n cells the sample variance has a relative standard error of
    sqrt(2/n): 3% for the 2,496-cell table, so a 25% band fails with probability far below
    1e-9, while noise of the wrong scale (or none) fails it."""
    make_respond(app)("about-you", {"state": "NG-LA", "gender": "female"}, times=3)
    release(app)
    (week,) = _stored(app)
    found = _stored(app)[week]
    for name in ("age_band+income_band@state", "lga", "income_band+gender@state"):
        table = found[name]
        noise = table.counts  # three responses in three cells; the rest is noise alone
        variance = statistics.pvariance(noise, mu=0)
        assert variance == pytest.approx(table.sigma**2, rel=0.25), name
        assert sum(1 for v in noise if v != 0) > len(noise) / 2


def test_the_noise_is_fresh_for_every_release_not_seeded_from_anything_we_hold(dashboard_app):
    """The same answers released twice (two stores) get different noise: it comes from
    OpenDP's secure sampler, not from the data, a key or Python's random module."""
    releases = []
    for _ in range(2):
        app = dashboard_app()
        random.seed(1)
        make_respond(app)("about-you", {"state": "NG-LA"}, times=2)
        release(app)
        ((_, found),) = _stored(app).items()
        releases.append(found["lga"].counts)  # the next app starts from empty stores
    assert releases[0] != releases[1]


def test_consent_and_funnel_releases_say_whose_privacy_their_budget_protects(dashboard_app):
    from surveys import clock
    from surveys.services import consent as consent_service
    from surveys.services import funnel
    from surveys.services.respondents import new_key

    app = dashboard_app()
    with app.app_context():
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        consent_service.give(
            db.session, "cust-1", ["state"], consent_service.METHOD_PRIVACY_PAGE, new_key(),
            cipher, clock.now() - timedelta(weeks=2),
        )  # fmt: skip
        survey = catalogue.find(db.session, "about-you")
        for _ in range(3):
            funnel.record(db.session, survey, funnel.SHOWN, week_day(1))
        db.session.commit()
    make_respond(app)("about-you", {"state": "NG-LA"})
    release(app)
    with app.app_context():
        consent = db.session.scalars(select(Release).where(Release.kind == "consent")).all()
        assert consent and all(r.rho == pytest.approx(0.5) for r in consent)
        units = {t.unit for r in consent for t in r.tables}
        assert units == {"subject"}
        funnel_tables = db.session.scalars(
            select(ReleaseTable).where(ReleaseTable.table_key == "funnel")
        ).all()
        assert {t.unit for t in funnel_tables} == {"event"}
        assert all(len(t.counts) == 3 for t in funnel_tables)


def test_the_epsilon_stated_for_the_budget_is_opendps_conversion():
    # rho-zCDP implies (rho + 2 sqrt(rho ln(1/delta)), delta)-DP (Bun & Steinke); OpenDP's
    # conversion is tighter, never looser.
    epsilon = privacy.epsilon_for(0.5, 1e-6)
    assert 4 < epsilon <= 0.5 + 2 * math.sqrt(0.5 * math.log(1e6))
    assert privacy.epsilon_for(0.5 / 4, 1e-6) < epsilon


def test_nothing_about_a_person_is_stored_in_a_release(app):
    make_respond(app)("about-you", {"state": "NG-LA"}, times=2)
    release(app)
    with app.app_context():
        hashes = set(db.session.scalars(select(Response.respondent_hash)))
        text = repr([(t.table_key, t.counts) for t in db.session.scalars(select(ReleaseTable))])
    assert not any(h in text for h in hashes)
    columns = {c.name for c in ReleaseTable.__table__.columns} | {
        c.name for c in Release.__table__.columns
    }
    assert not columns & {"respondent_hash", "subject", "created_at", "updated_on"}
