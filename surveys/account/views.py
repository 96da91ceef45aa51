"""``/me``: see, export and delete your data; give, change and withdraw consent.

Views parse and render; the rules are in :mod:`surveys.services.consent` and
:mod:`surveys.services.my_data`. Every form here keeps its CSRF check.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

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
from flask_babel import lazy_gettext as _l

from surveys import clock
from surveys.account import bp, offer
from surveys.account.forms import ConsentForm
from surveys.auth.session import current_session, signed_in_subject
from surveys.extensions import db
from surveys.i18n import language_shown
from surveys.questions import QUESTIONS, label_for
from surveys.services import answers as answer_service
from surveys.services import consent as consent_service
from surveys.services import my_data, respondents
from surveys.services.consent import ConsentError, Controller, LinkCipher
from surveys.shopper import respondent as respondent_cookie
from surveys.shopper.forms import ActionForm

log = logging.getLogger("surveys.account")

#: ``?done=`` after a change -> what the page confirms.
NOTICES = {
    "given": _l("Thank you. The answers you ticked are now linked to your shop account."),
    "changed": _l("Saved. Only the answers ticked below are shared now."),
    "declined": _l("No problem. Nothing is linked: your answers stay anonymous."),
    "withdrawn-kept": _l(
        "Withdrawn. The link is gone; your answers stay only as anonymous statistics."
    ),
    "withdrawn-deleted": _l("Withdrawn. The link is gone and your answers are deleted."),
    "nothing-to-withdraw": _l("There was nothing to withdraw: nothing is linked."),
    "answers-deleted": _l(
        "Deleted. Nothing we show or share uses those answers any more; they leave our "
        "database files tonight."
    ),
    "deleted": _l(
        "Deleted. Your answers and the link are gone; the record of your consent choices is "
        "kept as proof, without answers."
    ),
}


@bp.after_request
def private(response: Response) -> Response:
    """These pages are about one person: no cache anywhere may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _cipher() -> LinkCipher:
    return consent_service.cipher_for(current_app.config["LINK_ENCRYPTION_KEY"])


def _controller() -> Controller:
    return Controller.from_config(current_app.config, url_for("shopper.privacy", _external=True))


def _subject_or_stop() -> str:
    subject = signed_in_subject()
    if subject is None:
        page = render_template(
            "errors/error.html",
            status=403,
            title=gettext("You are not signed in"),
            advice=gettext(
                "Personalisation is for shop customers who are signed in. Open the surveys "
                "from your account on the shop, then try again. Nothing was changed."
            ),
        )
        abort(make_response(page, 403))
    return subject


#: Profile reads listed on /me; the download has them all.
READS_SHOWN = 50


def _render_me(
    status: int = 200,
    *,
    offer: ConsentForm | None = None,
    offer_error: str | None = None,
    error: str | None = None,
) -> tuple[str, int]:
    subject = signed_in_subject()
    data = my_data.gather(
        db.session,
        subject,
        respondent_cookie.current_hash_or_none(),
        _cipher(),
        reads_limit=READS_SHOWN,
    )
    shared = list(data.consent.attributes) if data.consent else []
    page = render_template(
        "account/me.html",
        data=data,
        shared=shared,
        browser_answers=[(r.survey, _summary(r)) for r in data.browser_responses],
        linked_answers=[(r.survey, _summary(r)) for r in data.linked_responses],
        questions=QUESTIONS,
        consent_form=offer or ConsentForm(formdata=None),
        change_form=ConsentForm(formdata=None),
        action_form=ActionForm(),
        error=error,
        offer_error=offer_error,
        notice=NOTICES.get(request.args.get("done", "")),
    )
    return page, status


def _summary(response: Any) -> list[tuple[str, str, str]]:
    """(question key, question, answer label) for each question the survey asked."""
    return [
        (key, str(QUESTIONS[key].short_label), label_for(key, code) or gettext("Skipped"))
        for key, code in response.answers().items()
        if key in response.survey.questions
    ]


def _done(what: str) -> Response:
    return redirect(url_for("account.me", done=what, _anchor="personalisation"), code=303)


@bp.get("/me")
def me() -> tuple[str, int]:
    return _render_me()


@bp.post("/me/consent")
def give_consent() -> Response | tuple[str, int]:
    """The offer on "My survey data": "Yes" (with the ticked attributes) or "No thanks"."""

    def again(form: ConsentForm, error: str) -> tuple[str, int]:
        return _render_me(400, offer=form, offer_error=error)

    return _answer_offer(consent_service.METHOD_PRIVACY_PAGE, again, offered=None)


@bp.post("/surveys/<slug>/thanks")
def consent_after_survey(slug: str) -> Response | tuple[str, int]:
    """The offer on a survey's thank-you page, sent back to that page's own address.

    A refusal re-shows the thank-you page with the error at the top of the offer, and a
    consent given here is recorded as given after a survey.
    """
    from surveys.shopper.views import thanks  # the shopper blueprint imports this package

    if answer_service.open_survey(db.session, slug, clock.today()) is None:
        abort(404)

    def again(form: ConsentForm, error: str) -> tuple[str, int]:
        return thanks(slug, offer_form=form, offer_error=error), 400

    return _answer_offer(consent_service.METHOD_AFTER_SURVEY, again, offered=offer.answered_here)


def _answer_offer(
    method: str,
    again: Callable[[ConsentForm, str], tuple[str, int]],
    offered: Callable[[], list[str]] | None,
) -> Response | tuple[str, int]:
    """Record "Yes" or "No thanks" to an offer; ``again`` re-shows the offer with an error.

    ``offered`` gives the only attributes the offer listed (None: all of them).
    """
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    subject = _subject_or_stop()
    answer = request.form.get("answer")
    if answer not in {"yes", "no"}:
        abort(400)
    language = language_shown()
    if answer == "no":
        signed_in = current_session()
        if signed_in is not None:
            signed_in.declined_offer = True
            db.session.commit()
        return _done("declined")

    key = respondent_cookie.key_for_write()
    new_key = key or respondents.new_key()
    chosen = form.attributes.data or []
    try:
        if offered is not None:
            chosen = consent_service.check_offered(chosen, offered())
        consent_service.give(
            db.session,
            subject,
            chosen,
            method,
            new_key,
            _cipher(),
            clock.now(),
            language=language,
        )
    except ConsentError as error:
        db.session.rollback()
        return again(form, str(error))
    db.session.commit()
    log.info("consent given", extra={"fields": {"method": method}})
    response = _done("given")
    if key is None:
        # Nothing answered from this browser yet: its future answers are the linked ones.
        respondent_cookie.remember(response, new_key)
    return response


@bp.post("/me/consent/change")
def change_consent() -> Response | tuple[str, int]:
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    subject = _subject_or_stop()
    language = language_shown()
    try:
        consent_service.change(
            db.session,
            subject,
            form.attributes.data or [],
            consent_service.METHOD_PRIVACY_PAGE,
            clock.now(),
            language=language,
        )
    except ConsentError as error:
        db.session.rollback()
        # Without an active consent the page shows the offer, not the change form.
        return _render_me(400, error=str(error), offer_error=str(error))
    db.session.commit()
    log.info("consent changed")
    return _done("changed")


@bp.post("/me/consent/withdraw")
def withdraw_consent() -> Response | str:
    """The link goes now; the button pressed says what happens to the answers.

    Keeping them as anonymous statistics takes one press; deleting them, which cannot be
    undone, asks again on a page of its own ("Yes" or "Cancel", no JavaScript needed).
    """
    if not ActionForm().validate_on_submit():
        abort(400)
    subject = _subject_or_stop()
    choice = request.form.get("answers")
    if choice not in {"keep", "delete"}:
        abort(400)
    language = language_shown()
    confirmed = request.form.get("confirm")
    if choice == "delete" and confirmed != "yes":
        if confirmed == "no":
            return redirect(url_for("account.me", _anchor="personalisation"), code=303)
        return _confirm(
            gettext("Withdraw and delete your answers?"),
            [
                gettext("The link between your answers and your shop account is removed at once."),
                gettext(
                    "Your answers are deleted: nothing we show or share uses them from now on, "
                    "and they leave our database files tonight."
                ),
                gettext(
                    "The record of your consent choices is kept as proof, without any answers."
                ),
            ],
            url_for("account.withdraw_consent"),
            ("answers", "delete"),
            gettext("Yes, delete my answers"),
        )
    record = consent_service.withdraw(
        db.session,
        subject,
        delete_answers=choice == "delete",
        method=consent_service.METHOD_PRIVACY_PAGE,
        cipher=_cipher(),
        now=clock.now(),
        language=language,
    )
    db.session.commit()
    if record is None:
        return _done("nothing-to-withdraw")
    log.info("consent withdrawn", extra={"fields": {"answers": record.answers_after}})
    return _done("withdrawn-deleted" if choice == "delete" else "withdrawn-kept")


def _confirm(
    heading: str,
    consequences: list[str],
    action: str,
    field: tuple[str, str] | None,
    yes_label: str,
) -> str:
    """The second step before something that cannot be undone: nothing has changed yet."""
    return render_template(
        "account/confirm.html",
        heading=heading,
        consequences=consequences,
        action=action,
        field=field,
        yes_label=yes_label,
        action_form=ActionForm(),
    )


def _json_download(document: dict[str, Any], filename: str) -> Response:
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.content_type = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/me/receipts/<uuid:receipt_id>.json")
def receipt(receipt_id: uuid.UUID) -> Response:
    subject = signed_in_subject()
    record = consent_service.find_record(db.session, subject, receipt_id) if subject else None
    if record is None:
        abort(404)
    return _json_download(
        consent_service.receipt(record, _controller()), f"consent-receipt-{receipt_id}.json"
    )


@bp.get("/me/export.json")
def export() -> Response:
    data = my_data.gather(
        db.session, signed_in_subject(), respondent_cookie.current_hash_or_none(), _cipher()
    )
    now = clock.now()
    return _json_download(
        my_data.export(data, _controller(), now), f"my-survey-data-{now.date().isoformat()}.json"
    )


@bp.post("/me/delete")
def delete_everything() -> Response | str:
    """ "Delete everything" asks again on a page of its own; only "Yes" there deletes."""
    if not ActionForm().validate_on_submit():
        abort(400)
    confirmed = request.form.get("confirm")
    if confirmed == "no":
        return redirect(url_for("account.me", _anchor="delete"), code=303)
    subject = signed_in_subject()
    if confirmed != "yes":
        consequences = [gettext("Your answers from this browser are deleted.")]
        if subject is not None:
            consequences += [
                gettext(
                    "If you agreed to personalisation, that is withdrawn and the answers it "
                    "linked are deleted; the list of who read your profile is deleted."
                ),
                gettext(
                    "The record of your consent choices is kept as proof, without any answers."
                ),
            ]
        consequences.append(gettext("This browser's survey cookie is forgotten."))
        return _confirm(
            gettext("Delete everything?"),
            consequences,
            url_for("account.delete_everything"),
            None,
            gettext("Yes, delete everything"),
        )
    language = language_shown()
    key = respondent_cookie.key_for_write()
    my_data.delete_everything(
        db.session,
        subject,
        respondents.respondent_hash(key) if key else None,
        _cipher(),
        clock.now(),
        language=language,
    )
    db.session.commit()
    log.info("everything deleted")
    response = redirect(url_for("account.me", done="deleted"), code=303)
    respondent_cookie.forget(response)
    return response
