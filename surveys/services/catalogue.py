"""Surveys as data: load definitions from YAML or JSON, check them, and switch them on or off.

A file is checked as a whole before anything is written, so a bad file changes nothing.

A survey's title and intro may be given in the other shopper languages too::

    translations:
      ha: {title: Game da ku, intro: ...}

A language a survey does not list (or a field it leaves out) shows the English text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.i18n import DEFAULT_LANGUAGE, LANGUAGES
from surveys.models import Survey
from surveys.questions import QUESTIONS
from surveys.services import answers

SLUG = answers.SLUG
DEFAULT_SURVEYS = "default_surveys.yaml"


class InvalidSurveyFile(ValueError):
    """The file is not a list of valid survey definitions; ``problems`` says why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class SurveySpec:
    slug: str
    title: str
    intro: str
    questions: list[str]
    active: bool
    opens_on: date | None
    closes_on: date | None
    #: language code -> {"title": ..., "intro": ...} (either may be left out)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def read_file(path: Path) -> list[SurveySpec]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidSurveyFile([f"cannot read {path}: {error.strerror}"]) from None
    return parse(text, json_only=path.suffix.lower() == ".json")


def parse(text: str, *, json_only: bool = False) -> list[SurveySpec]:
    try:
        data = json.loads(text) if json_only else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise InvalidSurveyFile([f"not valid {'JSON' if json_only else 'YAML'}: {error}"]) from None
    if isinstance(data, dict) and "surveys" in data:
        data = data["surveys"]
    if not isinstance(data, list) or not data:
        raise InvalidSurveyFile(["expected a non-empty list of surveys (or a 'surveys:' key)"])
    specs: list[SurveySpec] = []
    problems: list[str] = []
    for index, item in enumerate(data, start=1):
        spec, item_problems = _check(item)
        problems += [f"survey {index}: {problem}" for problem in item_problems]
        if spec is not None:
            specs.append(spec)
    slugs = [item.get("slug") for item in data if isinstance(item, dict)]
    problems += [
        f"slug {slug!r} appears more than once"
        for slug in sorted(set(slugs))
        if slugs.count(slug) > 1
    ]
    if problems:
        raise InvalidSurveyFile(problems)
    return specs


def _check(item: Any) -> tuple[SurveySpec | None, list[str]]:
    if not isinstance(item, dict):
        return None, ["must be a mapping with slug, title and questions"]
    problems = []
    known = {
        "slug",
        "title",
        "intro",
        "questions",
        "active",
        "opens_on",
        "closes_on",
        "translations",
    }
    problems += [f"unknown field {name!r}" for name in sorted(set(item) - known)]
    slug, title, intro = item.get("slug"), item.get("title"), item.get("intro", "")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug) or len(slug) > 64:
        problems.append("slug must be lower-case words joined by hyphens, at most 64 characters")
    if not isinstance(title, str) or not 0 < len(title.strip()) <= 120:
        problems.append("title must be text of 1 to 120 characters")
    if not isinstance(intro, str) or len(intro) > 500:
        problems.append("intro must be text of at most 500 characters")
    questions = item.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append(f"questions must be a non-empty list of: {', '.join(QUESTIONS)}")
        questions = []
    else:
        unknown = [q for q in questions if q not in QUESTIONS]
        if unknown:
            problems.append(f"unknown questions {unknown}; known: {', '.join(QUESTIONS)}")
        if len(set(map(str, questions))) != len(questions):
            problems.append("a question appears more than once")
        if "lga" in questions and (
            "state" not in questions or questions.index("state") > questions.index("lga")
        ):
            problems.append("'lga' needs 'state' asked before it")
    active = item.get("active", True)
    if not isinstance(active, bool):
        problems.append("active must be true or false")
    opens_on, closes_on = item.get("opens_on"), item.get("closes_on")
    for name, value in (("opens_on", opens_on), ("closes_on", closes_on)):
        if value is not None and not isinstance(value, date):
            try:
                item[name] = date.fromisoformat(str(value))
            except ValueError:
                problems.append(f"{name} must be a date like 2026-12-31")
    opens_on, closes_on = item.get("opens_on"), item.get("closes_on")
    if isinstance(opens_on, date) and isinstance(closes_on, date) and closes_on < opens_on:
        problems.append("closes_on is before opens_on")
    translations, translation_problems = _check_translations(item.get("translations", {}))
    problems += translation_problems
    if problems:
        return None, problems
    return SurveySpec(
        slug,
        title.strip(),
        intro.strip(),
        list(questions),
        active,
        opens_on,
        closes_on,
        translations,
    ), []


def _check_translations(value: Any) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``{language: {title, intro}}`` for the languages other than English, checked like the
    English title and intro."""
    others = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
    if not isinstance(value, dict):
        return {}, [f"translations must map a language ({', '.join(others)}) to title and intro"]
    problems: list[str] = []
    checked: dict[str, dict[str, str]] = {}
    for language, texts in value.items():
        if language not in others:
            problems.append(
                f"translations: unknown language {language!r}; known: {', '.join(others)}"
            )
            continue
        if not isinstance(texts, dict) or not texts:
            problems.append(f"translations.{language} must have a title, an intro or both")
            continue
        for name in sorted(set(texts) - {"title", "intro"}):
            problems.append(f"translations.{language}: unknown field {name!r}")
        title, intro = texts.get("title"), texts.get("intro")
        if title is not None and (not isinstance(title, str) or not 0 < len(title.strip()) <= 120):
            problems.append(f"translations.{language}.title must be text of 1 to 120 characters")
        if intro is not None and (not isinstance(intro, str) or len(intro) > 500):
            problems.append(f"translations.{language}.intro must be text of at most 500 characters")
        checked[language] = {
            name: text.strip()
            for name, text in (("title", title), ("intro", intro))
            if isinstance(text, str) and text.strip()
        }
    return checked, problems


def apply(session: Session, specs: list[SurveySpec]) -> tuple[int, int]:
    """Create or update surveys by slug; returns (created, updated)."""
    created = updated = 0
    for spec in specs:
        survey = find(session, spec.slug)
        if survey is None:
            survey = Survey(slug=spec.slug)
            session.add(survey)
            created += 1
        else:
            updated += 1
        survey.title = spec.title
        survey.intro = spec.intro
        survey.questions = spec.questions
        survey.active = spec.active
        survey.opens_on = spec.opens_on
        survey.closes_on = spec.closes_on
        survey.translations = spec.translations
    session.flush()
    return created, updated


def load_defaults(session: Session) -> int:
    """Create the shipped surveys that do not exist yet; existing ones are left as edited."""
    text = (
        resources.files("surveys.reference").joinpath(f"data/{DEFAULT_SURVEYS}").read_text("utf-8")
    )
    missing = [spec for spec in parse(text) if find(session, spec.slug) is None]
    apply(session, missing)
    return len(missing)


def find(session: Session, slug: str) -> Survey | None:
    return session.scalars(select(Survey).where(Survey.slug == slug)).one_or_none()


def all_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.slug)))
