"""Page objects for the consent screens: each knows its own selectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

ATTRIBUTE_LABELS = {
    "state": "State",
    "lga": "Local government area",
    "age_band": "Age band",
    "income_band": "Monthly income band",
    "gender": "Gender",
}


class DemoShop:
    def __init__(self, page: Page):
        self.page = page

    def sign_in_as(self, who: str) -> None:
        self.page.goto("/demo")
        self.page.get_by_role("button", name=f"Sign in as {who}").click()
        self.page.wait_for_load_state()


class SurveyPage:
    def __init__(self, page: Page, slug: str):
        self.page, self.slug = page, slug

    def open(self) -> SurveyPage:
        self.page.goto(f"/surveys/{self.slug}")
        return self

    def choose_state_and_lga(self, state: str, lga: str) -> None:
        # survey.js follows the state only once it has /lgas.json, and then removes the
        # no-JavaScript "Show its LGAs" button: wait for that, or a quick choice is missed.
        # (Locators, not wait_for_function: its eval() is refused by the page's CSP.)
        self.page.locator("[data-refresh]").wait_for(state="detached")
        self.page.select_option("#state", label=state)
        self.page.locator("#lga option", has_text=lga).first.wait_for(state="attached")
        self.page.select_option("#lga", label=lga)

    def choose(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).check()

    def send(self) -> None:
        self.page.get_by_role("button", name="Send answers").click()
        self.page.wait_for_url(f"**/surveys/{self.slug}/thanks")


class ConsentOffer:
    """The offer on the thank-you page and on "My survey data"."""

    def __init__(self, page: Page):
        self.page = page
        self.form = page.locator("#consent-offer")

    def checkbox(self, attribute: str) -> Locator:
        return self.form.get_by_label(ATTRIBUTE_LABELS[attribute], exact=True)

    def checkboxes(self) -> Locator:
        return self.form.locator("input[type=checkbox]")

    @property
    def yes(self) -> Locator:
        return self.form.get_by_role("button", name="Yes, use what I ticked")

    @property
    def no(self) -> Locator:
        return self.form.get_by_role("button", name="No thanks")

    def accept(self, *attributes: str) -> None:
        for attribute in attributes:
            self.checkbox(attribute).check()
        self.yes.click()
        self.page.wait_for_url("**/me?done=given*")

    def decline(self) -> None:
        self.no.click()
        self.page.wait_for_url("**/me?done=declined*")


class MyDataPage:
    def __init__(self, page: Page):
        self.page = page

    def open(self) -> MyDataPage:
        self.page.goto("/me")
        return self

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    @property
    def withdraw_keep(self) -> Locator:
        return self.page.get_by_role(
            "button", name="Withdraw, keep my answers as anonymous statistics"
        )

    @property
    def withdraw_delete(self) -> Locator:
        return self.page.get_by_role("button", name="Withdraw and delete my answers")

    @property
    def delete_everything(self) -> Locator:
        return self.page.get_by_role("button", name="Delete everything")

    def download(self, link: Locator) -> Any:
        with self.page.expect_download() as info:
            link.click()
        return json.loads(Path(info.value.path()).read_text(encoding="utf-8"))

    def choices(self) -> Locator:
        """The list of choices and receipts, opened (it is folded away at first)."""
        choices = self.page.locator("#all-choices")
        if not choices.evaluate("details => details.open"):
            choices.locator("summary").click()
        return choices

    def latest_receipt(self) -> Any:
        """The newest receipt, from the list of choices."""
        choices = self.choices()
        return self.download(
            choices.locator("table.history").get_by_role("link", name="Download").first
        )

    def export(self) -> Any:
        return self.download(self.page.get_by_role("link", name="Download all of this as JSON"))


class ConfirmPage:
    """The second step before something that cannot be undone."""

    def __init__(self, page: Page):
        self.page = page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def yes(self) -> Locator:
        return self.page.locator("button[name=confirm][value=yes]")

    @property
    def cancel(self) -> Locator:
        return self.page.get_by_role("button", name="Cancel, keep everything")


def looks(locator: Locator) -> dict[str, Any]:
    """What makes a button prominent: its size, colours, weight and border.

    Waits for the page's load event first: the element can be found before the stylesheet
    has applied, and a button measured unstyled is not the button the shopper sees.
    """
    locator.page.wait_for_load_state("load")
    return locator.evaluate(
        """element => {
            const style = getComputedStyle(element);
            const box = element.getBoundingClientRect();
            return {width: Math.round(box.width), height: Math.round(box.height),
                    color: style.color, background: style.backgroundColor,
                    fontSize: style.fontSize, fontWeight: style.fontWeight,
                    border: style.border, padding: style.padding};
        }"""
    )
