"""How accurate the released dashboard is on demo data: typical relative error of what
product managers read, against the true counts (which only this script, not the dashboard,
looks at).

It seeds the demo data `make run` uses (20,000 answers over 26 weeks, ``--seed 1``), then,
``--releases`` times over, releases every week afresh (new noise each time) and compares the
default view (the last 12 weeks, all of Nigeria) with the truth:

- national weekly counts: |released - true| / true per week;
- state distributions over 12 weeks: each state's count, and its share of the national total
  (in percentage points);
- an LGA view: the LGAs of Lagos and of Kano over 12 weeks (each LGA as released, before the
  dashboard pools the small ones);
- the national age, income and gender distributions over 12 weeks.

Reports the median and the 90th percentile over all those numbers and releases, and how
often the true count fell inside the stated 95% margin.

Usage (not part of the test suite)::

    .venv/bin/python bench/dashboard_accuracy.py [--responses 20000] [--releases 20]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select

from surveys import clock, create_app, reference
from surveys.extensions import db
from surveys.models import Release, Response
from surveys.services import catalogue, demo
from surveys.services.reporting import release, tables
from surveys.services.reporting import report as reports


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):6.1%}   90th percentile {p90:6.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--releases", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("surveys.access").setLevel(logging.WARNING)

    folder = Path(tempfile.mkdtemp(prefix="dashboard-accuracy-"))
    binds = {bind: f"sqlite:///{folder / bind}.db" for bind in ("answers", "identity")}
    app = create_app({"TESTING": True, "SURVEYS_ENV": "test", "SECRET_KEY": "accuracy",
                      "SQLALCHEMY_BINDS": binds})  # fmt: skip
    today = clock.today()
    with app.app_context():
        db.create_all(bind_key=["answers", "identity"])
        catalogue.load_defaults(db.session)
        demo.seed(db.session, catalogue.all_surveys(db.session), args.responses, today,
                  weeks=26, seed_value=1)  # fmt: skip
        db.session.commit()
        survey = catalogue.find(db.session, "about-you")
        last = release.last_closed_week(today)
        first = last - timedelta(weeks=11)
        rows = db.session.execute(
            select(Response.submitted_on, Response.state_code, Response.lga_code,
                   Response.age_band, Response.income_band, Response.gender)
            .where(Response.survey_id == survey.id,
                   Response.submitted_on.between(first, last + timedelta(days=6)))
        ).all()  # fmt: skip
    weekly = Counter(release.week_of(r[0]).isoformat() for r in rows)
    states = Counter(r[1] or "skipped" for r in rows)
    lgas = Counter(r[2] or "skipped" for r in rows if r[1] in ("NG-LA", "NG-KN"))
    answers = {
        "age_band": Counter(r[3] or "skipped" for r in rows),
        "income_band": Counter(r[4] or "skipped" for r in rows),
        "gender": Counter(r[5] or "skipped" for r in rows),
    }
    total = len(rows)
    errors: dict[str, list[float]] = {
        "national weekly counts": [],
        "state counts, 12 weeks": [],
        "state shares, 12 weeks (points)": [],
        "LGA counts, 12 weeks (Lagos, Kano)": [],
        "  of those, LGAs with 50 or more": [],
        "age, income, gender, 12 weeks": [],
    }
    inside = checked = 0
    for _ in range(args.releases):
        with app.app_context():
            db.session.execute(delete(Release))
            release.release_due_weeks(db.session, today)
            db.session.commit()
            survey = catalogue.find(db.session, "about-you")
            released = reports.released_weeks(db.session, survey.id)
            view = reports.make_view(survey, today, released)
            report = reports.build_report(db.session, view, min_cell=10)
            # Each LGA as released (the dashboard pools the small ones after this).
            layouts = {layout.name: layout for layout in tables.layouts_for(survey.questions)}
            cells = reports.Released(
                db.session, str(survey.id), view.first_week, view.last_week, ["lga"], layouts
            )

        def score(name: str, estimate: reports.Estimate, truth: int) -> None:
            nonlocal inside, checked
            errors[name].append(abs(estimate.value - truth) / truth)
            checked += 1
            inside += abs(estimate.value - truth) <= estimate.margin

        for code, _, estimate in report.tables["weekly"].rows:
            score("national weekly counts", estimate, weekly[code])
        national = report.population
        for code, _, estimate in report.tables["state"].rows:
            if states[code]:
                score("state counts, 12 weeks", estimate, states[code])
                share = estimate.value / national.value - states[code] / total
                errors["state shares, 12 weeks (points)"].append(abs(share))
        for state in ("NG-LA", "NG-KN"):
            for code in reference.lga_choices(state):
                if lgas[code]:
                    estimate = cells.cell("lga", state, code)
                    score("LGA counts, 12 weeks (Lagos, Kano)", estimate, lgas[code])
                    if lgas[code] >= 50:
                        errors["  of those, LGAs with 50 or more"].append(
                            abs(estimate.value - lgas[code]) / lgas[code]
                        )
        for attribute, truth in answers.items():
            for code, _, estimate in report.tables[attribute].rows:
                if truth[code]:
                    score("age, income, gender, 12 weeks", estimate, truth[code])

    print(
        f"{args.responses:,} demo answers over 26 weeks, 12-week default view "
        f"({total:,} answers to About you in it), {args.releases} independent releases"
    )
    for name, values in errors.items():
        print(f"{name:38} {_quantiles(values)}")
    print(f"true count inside the stated 95% margin: {inside / checked:.1%} of {checked:,}")


if __name__ == "__main__":
    main()
