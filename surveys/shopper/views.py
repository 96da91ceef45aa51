"""Shopper views: parse the request, call the services, render. No rules live here."""

from __future__ import annotations

import json
from functools import cache

from flask import (
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from surveys import clock, reference
from surveys.account import offer
from surveys.account.forms import ConsentForm
from surveys.extensions import db, limiter
from surveys.models import Survey
from surveys.questions import QUESTIONS, label_for
from surveys.services import answers as answer_service
from surveys.services import funnel, respondents, retention
from surveys.services.answers import Outcome
from surveys.shopper import bp
from surveys.shopper.forms import ActionForm, SurveyForm, build_form
from surveys.shopper.respondent import current_hash_or_none, key_for_write, remember
from surveys.shopper.return_to import safe_return_to

#: One budget for every write a shopper's browser can make, counted per client address.
shopper_writes = limiter.shared_limit(
    lambda: current_app.config["SUBMIT_RATE_LIMIT"], scope="shopper-writes", methods=["POST"]
)


def _survey_or_404(slug: str) -> Survey:
    survey = answer_service.open_survey(db.session, slug, clock.today())
    if survey is None:
        abort(404)
    return survey


@bp.after_request
def keep_pages_out_of_caches(response: Response) -> Response:
    """A shopper's page can show their answers (their own, or carried over from another
    survey) and holds a CSRF token: no cache, shared or in the browser, keeps it."""
    if response.mimetype == "text/html":
        response.cache_control.no_store = True
    return response


@bp.get("/")
def index() -> Response | str:
    respondent_hash = current_hash_or_none()
    offered = answer_service.offered_surveys(db.session, respondent_hash, clock.today())
    if len(offered) == 1:
        return redirect(url_for("shopper.survey", slug=offered[0].slug))
    answered = (
        set(answer_service.browser_state(db.session, respondent_hash).responses)
        if respondent_hash and offered
        else set()
    )
    return render_template("shopper/index.html", surveys=offered, answered=answered, shop=_shop())


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice (Nigeria Data Protection Act 2023). Who the controller is and how
    long each thing is kept come from the configuration the code itself runs on."""
    config = current_app.config
    return render_template(
        "shopper/privacy.html",
        questions=QUESTIONS.values(),
        controller=config["CONSENT_CONTROLLER"],
        contact=config["CONSENT_CONTROLLER_CONTACT"],
        periods=retention.Periods.from_config(config),
        min_cell=config["DASHBOARD_MIN_CELL"],
    )


@bp.route("/surveys/<slug>", methods=["GET", "POST"])
@shopper_writes
def survey(slug: str) -> Response | str | tuple[str, int]:
    survey = _survey_or_404(slug)
    respondent_hash = current_hash_or_none()
    existing = (
        answer_service.find_response(db.session, survey, respondent_hash)
        if respondent_hash
        else None
    )

    if request.method != "POST":  # GET, or HEAD (Flask answers it with this view too)
        # A survey not answered yet starts from what this browser said in its other surveys
        # (its state after "About you", say), shown and sent only if the shopper sends it.
        carried = (
            answer_service.latest_answers(db.session, respondent_hash, survey.questions)
            if respondent_hash and existing is None
            else {}
        )
        form = build_form(
            survey.questions, data=existing.answers() if existing else (carried or None)
        )
        if request.method == "GET":  # an uptime or link checker's HEAD shows no shopper
            funnel.record(db.session, survey, funnel.SHOWN, clock.today())
            db.session.commit()
        return _render_survey(survey, form, has_answers=existing is not None, carried=bool(carried))

    key = key_for_write()
    form = build_form(survey.questions)
    if request.form.get("action") == "refresh":
        # Without JavaScript, choosing a state and pressing "Show its LGAs" lands here.
        form.validate_on_submit()  # checks CSRF and fills errors, but nothing is stored
        for field in form.fields_in_order():
            if field.name != "lga":
                field.errors = []
        return _render_survey(survey, form, has_answers=existing is not None)

    if not form.validate_on_submit():
        return _render_survey(survey, form, has_answers=existing is not None), 400

    new_key = key or respondents.new_key()
    respondent_hash, today = respondents.respondent_hash(new_key), clock.today()
    # The counts and the answers go into one journal entry: one write per visit.
    funnel.record(db.session, survey, funnel.STARTED, today, respondent_hash)
    result = answer_service.save_answers(db.session, survey, respondent_hash, form.answers(), today)
    if result.outcome is Outcome.SAVED:
        funnel.record(db.session, survey, funnel.COMPLETED, today, respondent_hash)
    if result.outcome is Outcome.UNDER_18:
        offer.withdraw_for_a_child()
    db.session.commit()

    if result.outcome is Outcome.UNDER_18:
        # Rendered, not redirected, so that no URL or log line says a child answered.
        return render_template("shopper/under_18.html", survey=survey, way_back=_way_back())
    response = redirect(
        url_for("shopper.thanks", slug=survey.slug, return_to=_return_to()), code=303
    )
    if result.outcome is Outcome.SAVED and key is None:
        remember(response, new_key)
    return response


def _render_survey(
    survey: Survey, form: SurveyForm, *, has_answers: bool, carried: bool = False
) -> str:
    return render_template(
        "shopper/survey.html",
        survey=survey,
        form=form,
        action_form=ActionForm(),
        has_answers=has_answers,
        carried=carried,
        return_to=_return_to(),
        questions=QUESTIONS,
        prefer_not=reference.PREFER_NOT_TO_SAY,
    )


@bp.get("/surveys/<slug>/thanks")
def thanks(slug: str, offer_form: ConsentForm | None = None, offer_error: str | None = None) -> str:
    """The thank-you page; ``offer_form`` and ``offer_error`` re-show a refused consent offer."""
    survey = _survey_or_404(slug)
    respondent_hash = current_hash_or_none()
    response = (
        answer_service.find_response(db.session, survey, respondent_hash)
        if respondent_hash
        else None
    )
    return render_template(
        "shopper/thanks.html",
        survey=survey,
        summary=_summary(response) if response else None,
        next_survey=answer_service.next_survey(
            db.session, respondent_hash, clock.today(), after=survey
        ),
        way_back=_way_back(),
        return_to=_return_to(),
        # Signed-in shoppers are offered personalisation (or see what they agreed to).
        **(offer.after_survey(offer_form, offer_error) if response else {}),
    )


def _shop() -> str | None:
    """The shop's address: ``SHOP_URL``, else the stand-in ``/demo`` when it is on."""
    if shop_url := current_app.config["SHOP_URL"]:
        return str(shop_url)
    return url_for("demo.shop") if current_app.config["DEMO"] else None


def _return_to() -> str | None:
    """The shop page the shopper came from, if the shop passed one on SHOP_URL's origin (in
    the query string, or carried through a form as a hidden field); else None."""
    return safe_return_to(request.values.get("return_to"), current_app.config["SHOP_URL"])


def _way_back() -> tuple[str, str]:
    """(address, words) of the link back: the page of the shop the shopper came from, else
    the shop when known, else the list of surveys."""
    shop = _return_to() or _shop()
    if shop:
        return shop, gettext("Back to the shop")
    return url_for("shopper.index"), gettext("See all surveys")


@bp.post("/surveys/<slug>/not-now")
@shopper_writes
def not_now(slug: str) -> Response:
    survey = _survey_or_404(slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    key = key_for_write() or respondents.new_key()
    respondent_hash, today = respondents.respondent_hash(key), clock.today()
    answer_service.dismiss(
        db.session, survey, respondent_hash, today, current_app.config["NOT_NOW_DAYS"]
    )
    funnel.record(db.session, survey, funnel.NOT_NOW, today, respondent_hash)
    db.session.commit()
    response = redirect(
        url_for("shopper.dismissed", slug=survey.slug, return_to=_return_to()), code=303
    )
    remember(response, key)
    return response


@bp.get("/surveys/<slug>/not-now")
def dismissed(slug: str) -> str:
    survey = _survey_or_404(slug)
    return render_template(
        "shopper/not_now.html",
        survey=survey,
        days=current_app.config["NOT_NOW_DAYS"],
        way_back=_way_back(),
    )


@bp.post("/surveys/<slug>/delete")
@shopper_writes
def delete_survey_answers(slug: str) -> Response:
    survey = _survey_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    key = key_for_write()
    if key:
        answer_service.delete_answers(
            db.session, respondents.respondent_hash(key), survey, today=clock.today()
        )
        db.session.commit()
    return redirect(url_for("account.me", done="answers-deleted"), code=303)


@bp.get("/answers")
def my_answers() -> Response:
    """Old address of the shopper's own answers: everything now lives on ``/me``."""
    return redirect(url_for("account.me"), code=301)


def _summary(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(question, answer label) for each question of the survey; skipped ones say so."""
    rows = []
    for key, code in response.answers().items():
        if key in response.survey.questions:
            rows.append(
                (str(QUESTIONS[key].short_label), label_for(key, code) or gettext("Skipped"))
            )
    return rows


@cache
def _lga_json() -> bytes:
    """Keyed by the state code without its "NG-" (the same for every state: 148 bytes)."""
    by_state = reference.lga_names_by_state()
    names = {code.removeprefix("NG-"): lgas for code, lgas in by_state.items()}
    return json.dumps(names, separators=(",", ":"), ensure_ascii=False).encode()


@bp.get("/lgas.json")
def lga_list() -> Response:
    """Every state's LGAs for the instant cascade; the same for everyone, so cached a day."""
    response = make_response(_lga_json())
    response.content_type = "application/json"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)
