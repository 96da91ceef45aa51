"""A survey's title and intro in other languages: part of its definition, checked like the
rest of it, stored with the survey, English where a language (or a field) is missing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Survey
from surveys.services import catalogue
from surveys.services.catalogue import InvalidSurveyFile

TRANSLATED = """
surveys:
  - slug: festive-season
    title: Festive season
    intro: One question before the holidays.
    questions: [income_band]
    translations:
      ha: {title: Lokacin biki, intro: Tambaya ɗaya kafin hutu.}
      yo: {title: Àsìkò ọdún}
"""


def survey_page(client, slug, language):
    client.set_cookie("lang", language)
    return client.get(f"/surveys/{slug}").get_data(as_text=True)


def test_translations_are_stored_with_the_survey_and_shown_in_their_language(app, client):
    with app.app_context():
        catalogue.apply(db.session, catalogue.parse(TRANSLATED))
        db.session.commit()
        stored = db.session.scalars(select(Survey).where(Survey.slug == "festive-season")).one()
        assert stored.translations == {
            "ha": {"title": "Lokacin biki", "intro": "Tambaya ɗaya kafin hutu."},
            "yo": {"title": "Àsìkò ọdún"},
        }
    hausa = survey_page(client, "festive-season", "ha")
    assert "<h1>Lokacin biki</h1>" in hausa and "Tambaya ɗaya kafin hutu." in hausa
    yoruba = survey_page(client, "festive-season", "yo")
    # A field the language leaves out is the English one.
    assert "<h1>Àsìkò ọdún</h1>" in yoruba and "One question before the holidays." in yoruba
    igbo = survey_page(client, "festive-season", "ig")
    assert "<h1>Festive season</h1>" in igbo  # a language the survey lacks: English


def test_the_default_surveys_ship_in_all_five_languages(app):
    with app.app_context():
        for survey in catalogue.all_surveys(db.session):
            assert set(survey.translations) == {"pcm", "ha", "yo", "ig"}, survey.slug
            for language, texts in survey.translations.items():
                assert texts["title"] != survey.title, (survey.slug, language)
                assert texts["intro"] and texts["intro"] != survey.intro


@pytest.mark.parametrize(
    ("translations", "problem"),
    [
        (
            "{fr: {title: Festivités}}",
            "translations: unknown language 'fr'; known: pcm, ha, yo, ig",
        ),
        ("{en: {title: Festive}}", "translations: unknown language 'en'"),
        ("{ha: {title: Biki, colour: blue}}", "translations.ha: unknown field 'colour'"),
        ("{ha: {title: ''}}", "translations.ha.title must be text of 1 to 120 characters"),
        ("{ha: {}}", "translations.ha must have a title, an intro or both"),
        ("[ha, yo]", "translations must map a language (pcm, ha, yo, ig) to title and intro"),
        ("{yo: {intro: [a, b]}}", "translations.yo.intro must be text of at most 500 characters"),
    ],
)
def test_a_bad_translation_is_refused_with_a_clear_message(app, translations, problem):
    text = f"""
- slug: festive-season
  title: Festive season
  questions: [income_band]
  translations: {translations}
"""
    with pytest.raises(InvalidSurveyFile) as refused:
        catalogue.parse(text)
    assert any(p.startswith(f"survey 1: {problem}") for p in refused.value.problems), (
        refused.value.problems
    )


def test_a_file_with_a_bad_translation_changes_nothing(app, runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(TRANSLATED.replace("yo: {title: Àsìkò ọdún}", "zz: {title: X}"))
    result = runner.invoke(args=["surveys", "load", str(path)])
    assert result.exit_code != 0 and "unknown language 'zz'" in result.output
    with app.app_context():
        assert catalogue.find(db.session, "festive-season") is None
