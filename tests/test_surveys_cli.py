"""`flask surveys ...`: surveys are data, loaded from files and switched on and off."""

import json

from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Survey

NEW_SURVEY_YAML = """
surveys:
  - slug: festive-season
    title: Festive season
    intro: One question before the holidays.
    questions: [income_band]
    opens_on: 2026-12-01
    closes_on: 2027-01-06
"""


def _surveys(app):
    with app.app_context():
        return {
            s.slug: (s.title, s.questions, s.active) for s in db.session.scalars(select(Survey))
        }


def test_list_shows_each_survey_with_its_questions_and_state(runner):
    result = runner.invoke(args=["surveys", "list"])
    assert result.exit_code == 0
    assert (
        "about-you" in result.output
        and "state, lga, age_band, income_band, gender" in result.output
    )
    assert "where-you-shop" in result.output and "open" in result.output


def test_load_defaults_is_safe_to_run_again(app, runner):
    result = runner.invoke(args=["surveys", "load-defaults"])
    assert result.exit_code == 0 and "already loaded" in result.output
    assert len(_surveys(app)) == 2


def test_load_creates_surveys_from_yaml(app, runner, tmp_path):
    path = tmp_path / "festive.yaml"
    path.write_text(NEW_SURVEY_YAML)
    result = runner.invoke(args=["surveys", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated" in result.output
    assert _surveys(app)["festive-season"] == ("Festive season", ["income_band"], True)
    listed = runner.invoke(args=["surveys", "list"]).output
    assert "[2026-12-01 to 2027-01-06]" in listed


def test_load_updates_surveys_from_json_by_slug(app, runner, tmp_path):
    path = tmp_path / "update.json"
    path.write_text(
        json.dumps([{"slug": "about-you", "title": "About you, briefly", "questions": ["gender"]}])
    )
    result = runner.invoke(args=["surveys", "load", str(path)])
    assert "0 created, 1 updated" in result.output
    assert _surveys(app)["about-you"] == ("About you, briefly", ["gender"], True)


def test_a_bad_file_loads_nothing_and_says_every_problem(app, runner, tmp_path):
    before = _surveys(app)
    path = tmp_path / "bad.yaml"
    path.write_text(
        """
- slug: fine-survey
  title: Fine
  questions: [state]
- slug: Not A Slug
  title: ""
  questions: [lga, shoe_size]
  active: maybe
  colour: blue
"""
    )
    result = runner.invoke(args=["surveys", "load", str(path)])
    assert result.exit_code == 1
    expected = [
        "slug must be",
        "title must be",
        "unknown questions ['shoe_size']",
        "'lga' needs 'state'",
        "active must be true or false",
        "unknown field 'colour'",
    ]
    for problem in expected:
        assert problem in result.output
    assert _surveys(app) == before


def test_unreadable_and_malformed_files_are_refused_clearly(runner, tmp_path):
    missing = runner.invoke(args=["surveys", "load", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(args=["surveys", "load", str(broken)])
    assert result.exit_code == 1 and "not valid JSON" in result.output


def test_duplicate_slugs_and_reversed_windows_are_refused(runner, tmp_path):
    path = tmp_path / "dupes.yaml"
    path.write_text(
        "- {slug: a, title: A, questions: [state]}\n"
        "- {slug: a, title: B, questions: [gender], opens_on: 2027-01-02, closes_on: 2027-01-01}\n"
    )
    result = runner.invoke(args=["surveys", "load", str(path)])
    assert result.exit_code == 1
    assert "slug 'a' appears more than once" in result.output
    assert "closes_on is before opens_on" in result.output


def test_deactivate_and_activate_switch_what_shoppers_are_offered(app, runner, client):
    assert runner.invoke(args=["surveys", "deactivate", "about-you"]).exit_code == 0
    assert client.get("/surveys/about-you").status_code == 404
    assert runner.invoke(args=["surveys", "activate", "about-you"]).exit_code == 0
    assert client.get("/surveys/about-you").status_code == 200


def test_switching_an_unknown_survey_is_an_error(runner):
    result = runner.invoke(args=["surveys", "activate", "no-such"])
    assert result.exit_code == 1 and "No survey with slug 'no-such'" in result.output
