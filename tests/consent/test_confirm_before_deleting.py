"""What cannot be undone asks again first: "Delete everything" and "Withdraw and delete my
answers" take a second page with "Yes" and "Cancel", and work without JavaScript."""

from __future__ import annotations

from consent_helpers import ABOUT_YOU

from surveys.models import ProfileRead


def consenting(customer, subject: str) -> None:  # type: ignore[no-untyped-def]
    customer.sign_in(subject)
    customer.submit("about-you", ABOUT_YOU)
    assert customer.consent(["state", "gender"]).status_code == 303


def buttons_of(page: str) -> str:
    return page.split('<div class="choices">')[1].split("</div>")[0]


def test_one_press_of_delete_everything_only_asks_and_deletes_nothing(customer, store):
    consenting(customer, "cust-301")
    page = customer.delete_everything(confirm=None)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Delete everything?" in text and "This cannot be undone" in text
    buttons = buttons_of(text)
    assert 'name="confirm" value="yes"' in buttons and "Yes, delete everything" in buttons
    assert 'name="confirm" value="no"' in buttons and "Cancel" in buttons
    assert len(store.responses()) == 1 and len(store.links()) == 1
    assert [record.status for record in store.records()] == ["given"]
    assert customer.respondent_key() is not None


def test_yes_on_the_second_page_deletes_everything(customer, store):
    consenting(customer, "cust-302")
    customer.delete_everything(confirm=None)
    page = customer.delete_everything(confirm="yes")
    assert page.status_code == 303 and "done=deleted" in page.headers["Location"]
    assert store.responses() == [] and store.links() == [] and store.rows(ProfileRead) == []
    assert customer.respondent_key() is None


def test_cancel_on_the_second_page_keeps_everything(customer, store):
    consenting(customer, "cust-303")
    before = store.answers_snapshot()
    page = customer.delete_everything(confirm="no")
    assert page.status_code == 303 and page.headers["Location"].endswith("/me#delete")
    assert store.answers_snapshot() == before
    assert len(store.links()) == 1 and [r.status for r in store.records()] == ["given"]
    assert "Ikeja" in customer.me()


def test_one_press_of_withdraw_and_delete_only_asks(customer, store):
    consenting(customer, "cust-304")
    page = customer.withdraw("delete", confirm=None)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Withdraw and delete your answers?" in text
    assert '<input type="hidden" name="answers" value="delete">' in text
    assert "Yes, delete my answers" in buttons_of(text)
    assert len(store.links()) == 1 and len(store.responses()) == 1
    assert [record.status for record in store.records()] == ["given"]


def test_yes_on_the_second_page_withdraws_and_deletes_the_answers(customer, store):
    consenting(customer, "cust-305")
    page = customer.withdraw("delete", confirm="yes")
    assert page.status_code == 303 and "done=withdrawn-deleted" in page.headers["Location"]
    assert store.links() == [] and store.responses() == []
    assert store.records()[-1].answers_after == "deleted"


def test_cancel_on_the_second_page_keeps_the_consent_and_the_answers(customer, store):
    consenting(customer, "cust-306")
    page = customer.withdraw("delete", confirm="no")
    assert page.status_code == 303
    assert len(store.links()) == 1 and len(store.responses()) == 1
    assert [record.status for record in store.records()] == ["given"]


def test_withdrawing_but_keeping_the_answers_stays_one_press(customer, store):
    consenting(customer, "cust-307")
    page = customer.withdraw("keep", confirm=None)
    assert page.status_code == 303 and store.links() == []
    assert len(store.responses()) == 1


def test_the_destructive_buttons_carry_a_warning_sign_and_the_danger_style(customer):
    consenting(customer, "cust-308")
    me = customer.me()
    for label in ("Withdraw and delete my answers", "Delete everything"):
        button = me.split(f"</span>{label}</button>")[0].rsplit("<button", 1)[1]
        assert 'class="' in button and "danger" in button
        assert '<span aria-hidden="true">⚠ ' in button
    keep = me.split("Withdraw, keep my answers")[0].rsplit("<button", 1)[1]
    assert "danger" not in keep


def test_the_second_page_keeps_its_csrf_check(customer, store):
    consenting(customer, "cust-309")
    page = customer.client.post("/me/delete", data={"confirm": "yes"})
    assert page.status_code == 400
    assert len(store.responses()) == 1
