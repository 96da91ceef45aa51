"""Page objects for the production tests: each knows its page's selectors.

Paths are relative: each browser context has the site's HTTPS address as its base URL.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page


class SurveyPage:
    def __init__(self, page: Page, slug: str = "about-you"):
        self.page, self.slug = page, slug

    def open(self) -> SurveyPage:
        self.page.goto(f"/surveys/{self.slug}")
        # survey.js removes the no-JavaScript "Show its LGAs" button once it has the LGAs.
        self.page.locator("[data-refresh]").wait_for(state="detached")
        return self

    def choose_state_and_lga(self, state: str, lga: str) -> None:
        self.page.select_option("#state", label=state)
        self.page.locator("#lga option", has_text=lga).first.wait_for(state="attached")
        self.page.select_option("#lga", label=lga)

    def choose(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).check()

    def send(self) -> None:
        self.page.get_by_role("button", name="Send answers").click()
        self.page.wait_for_url(f"**/surveys/{self.slug}/thanks")

    def not_now(self) -> None:
        self.page.get_by_role("button", name="Not now").click()
        self.page.wait_for_url(f"**/surveys/{self.slug}/not-now")

    def heading(self) -> str:
        return self.page.locator("h1").inner_text()

    def main_text(self) -> str:
        return self.page.locator("main").inner_text()


class ShopHandOff:
    """The shop signing a customer in: a link with its signed, single-use token."""

    def __init__(self, page: Page):
        self.page = page

    def arrive(self, token: str, next_path: str) -> None:
        self.page.goto(f"/auth/shop?token={token}&next={next_path}")


class ConsentOffer:
    def __init__(self, page: Page):
        self.page = page
        self.form = page.locator("#consent-offer")

    def accept(self, *labels: str) -> None:
        for label in labels:
            self.form.get_by_label(label, exact=True).check()
        self.form.get_by_role("button", name="Yes, use what I ticked").click()
        self.page.wait_for_url("**/me?done=given*")


class MyDataPage:
    def __init__(self, page: Page):
        self.page = page

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    def withdraw_keeping_answers(self) -> None:
        self.page.get_by_role(
            "button", name="Withdraw, keep my answers as anonymous statistics"
        ).click()
        self.page.wait_for_url("**/me?done=withdrawn-kept*")


class StaffSignIn:
    def __init__(self, page: Page):
        self.page = page

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto("/dashboard/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def sign_out_link(self) -> Locator:
        return self.page.get_by_role("button", name=re.compile("Sign out")).or_(
            self.page.get_by_role("link", name=re.compile("Sign out"))
        )
