"""Values inside translated sentences are escaped; a translation is trusted text but cannot
break out of an attribute it is put in."""

from __future__ import annotations

import html

from surveys.extensions import db
from surveys.services import catalogue
from tests.i18n import catalogues

HOSTILE = '<img src=x onerror="alert(1)">'


def test_survey_texts_in_translated_sentences_are_escaped(app, client):
    spec = f"""
- slug: festive-season
  title: '{HOSTILE}'
  intro: '{HOSTILE}'
  questions: [gender]
  translations:
    ha: {{title: '{HOSTILE} ha', intro: '{HOSTILE} ha'}}
"""
    with app.app_context():
        catalogue.apply(db.session, catalogue.parse(spec))
        db.session.commit()
    for language in ("en", "ha"):
        client.set_cookie("lang", language)
        token = client.get("/surveys/festive-season").get_data(as_text=True)
        client.post("/surveys/festive-season/not-now", data={"csrf_token": _csrf(token)})
        for path in ["/surveys/festive-season", "/surveys/festive-season/not-now"]:
            page = client.get(path).get_data(as_text=True)
            assert HOSTILE not in page, (language, path)
            assert html.escape(HOSTILE, quote=False).split(" ")[0] in page, (language, path)


def test_a_translation_with_a_quote_stays_inside_its_attribute(make_app, tmp_path):
    pseudo = catalogues.pseudo_catalogue()
    pseudo["Language"].string = 'Èdè" onmouseover="alert(1)'
    directory = catalogues.install(tmp_path, {catalogues.PSEUDO_AS: pseudo})
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory))
    client = app.test_client()
    client.set_cookie("lang", catalogues.PSEUDO_AS)
    page = client.get("/privacy").get_data(as_text=True)
    assert 'aria-label="Èdè&#34; onmouseover=&#34;alert(1)"' in page
    assert 'onmouseover="alert(1)"' not in page


def _csrf(page: str) -> str:
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
