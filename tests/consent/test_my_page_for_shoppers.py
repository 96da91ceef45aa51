""" "My survey data" reads for a shopper: plain headings, the record-keeping folded away."""

from __future__ import annotations

import re

from consent_helpers import ABOUT_YOU

from surveys.services.consent import NOTICE_VERSION


def headings(page: str) -> list[str]:
    return re.findall(r"<h2[^>]*>(.*?)</h2>", page)


def folded(page: str, details_id: str) -> str:
    """The contents of ``<details id=...>``, shown only when the shopper opens it."""
    match = re.search(rf'<details id="{details_id}"[^>]*>(.*?)</details>', page, re.S)
    assert match, f"no <details id={details_id}>"
    return match.group(1)


def test_a_consenting_shopper_sees_plain_headings_and_no_notice_jargon_up_front(customer):
    customer.sign_in("cust-601")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state", "age_band"])
    me = customer.me()
    assert headings(me) == [
        "Your answers",
        "Does the shop use your answers?",
        "Who read your shared answers",
        "Your choices",
        "Download a copy",
        "Delete everything",
    ]
    assert "Notice version" not in me and "notice version" not in me.lower()
    # The version is kept for the record, one tap away with each choice and its receipt.
    history = folded(me, "all-choices")
    assert f"text version {NOTICE_VERSION}" in history and "Download" in history
    assert NOTICE_VERSION not in me.replace(history, "")
    assert "privacy-page" not in me and "web-form-after-survey" not in me


def test_the_lists_that_grow_are_folded_so_the_page_stays_short(app, customer):
    from surveys import clock
    from surveys.extensions import db
    from surveys.services import profiles

    customer.sign_in("cust-602")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    customer.change(["state", "gender"])
    with app.app_context():
        for _ in range(5):
            profiles.record_read(db.session, "cust-602", "recommender", ["state"], clock.now())
        db.session.commit()
    me = customer.me()
    assert me.count("<tr>") == len(re.findall("<tr>", folded(me, "all-choices"))) + len(
        re.findall("<tr>", folded(me, "all-reads"))
    )
    assert "(5 reads in all)" in me  # what the folded list holds, said in one line
    assert '<details id="change">' in me  # the change form is one tap away too


def test_a_refused_change_opens_the_change_form_to_show_why(customer):
    customer.sign_in("cust-603")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    page = customer.change([]).get_data(as_text=True)
    assert '<details id="change" open>' in page
    assert "Tick at least one answer" in folded(page, "change")
