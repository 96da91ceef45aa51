"""Page objects: each knows its page's selectors, so the tests read as what a shopper does."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page


class SurveyPage:
    def __init__(self, page: Page, base_url: str, slug: str):
        self.page, self.base_url, self.slug = page, base_url, slug

    def open(self) -> SurveyPage:
        self.page.goto(f"{self.base_url}/surveys/{self.slug}")
        return self

    def choose_state(self, name: str) -> None:
        self.page.select_option("#state", label=name)

    def show_lgas(self) -> None:
        """The no-JavaScript cascade button."""
        self.page.click("button[data-refresh]")

    def show_lgas_button(self) -> Locator:
        """The no-JavaScript "Show its LGAs" button (survey.js removes it once it has the LGAs)."""
        return self.page.locator("button[data-refresh]")

    def question_top(self, field_id: str) -> float:
        """Where the legend of a field's question is, in CSS pixels from the window's top
        (after the load event, when the stylesheet has laid the page out)."""
        self.page.wait_for_load_state("load")
        return self.page.locator(f"fieldset:has(#{field_id}) legend").bounding_box()["y"]

    def lga_names(self) -> list[str]:
        return self.page.locator("#lga option").all_inner_texts()

    def choose_lga(self, name: str) -> None:
        self.page.select_option("#lga", label=name)

    def option(self, question_key: str, label: str) -> Locator:
        exactly = re.compile(rf"^\s*{re.escape(label)}\s*$")
        return self.page.locator(f"label.option:has(input[name={question_key}])", has_text=exactly)

    def choose(self, question_key: str, label: str) -> None:
        self.option(question_key, label).locator("input").check()

    def checked(self, question_key: str) -> str | None:
        checked = self.page.locator(f"input[name={question_key}]:checked")
        return checked.get_attribute("value") if checked.count() else None

    def send(self) -> None:
        self.page.click("button.primary")

    def not_now(self) -> None:
        self.page.click("text=Not now")

    def delete_answers(self) -> None:
        self.page.click("text=Delete my answers")

    def error_summary(self) -> str:
        return self.page.locator("#error-summary").inner_text()

    def heading(self) -> str:
        return self.page.locator("h1").inner_text()

    def progress(self) -> Locator:
        """The "n of N answered" status at the foot of a longer survey."""
        return self.page.locator("#survey [role=status]")

    def steps(self) -> list[str]:
        """The "Question n of N" cue of each question, in order."""
        return self.page.locator("legend .step").all_inner_texts()

    def look_of(self, question_key: str, label: str) -> dict[str, str]:
        """What a shopper sees of one answer card: its computed border, background, weight and
        the mark drawn after it (``none`` when there is none). Measured after the load event,
        so never before the stylesheet applies."""
        self.page.wait_for_load_state("load")
        return self.option(question_key, label).evaluate(
            """label => {
                const s = getComputedStyle(label), mark = getComputedStyle(label, "::after");
                return {border: s.borderTopWidth + " " + s.borderTopColor,
                        background: s.backgroundColor, weight: s.fontWeight,
                        mark: mark.content, outline: s.outlineStyle + " " + s.outlineWidth,
                        outlineColour: s.outlineColor};
            }"""
        )
