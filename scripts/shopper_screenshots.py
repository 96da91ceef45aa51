"""Screenshots of every shopper screen, on a 390 px phone and a 1280 px desktop, with
JavaScript on and off, for a designer's look after a change (not part of the suite).

    .venv/bin/python scripts/shopper_screenshots.py /tmp/shots

It serves the app on temporary SQLite stores (with DEMO on), walks the screens as a shopper
would (the list, a survey, "Show its LGAs", thank-you with the next survey, the next survey
prefilled, the last thank-you, an error, "Not now", privacy, "My survey data", /demo, the
signed-in offer, under 18) and writes one full-page PNG per screen, width and JavaScript.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from local_app import local_app
from local_app import serve as serve_app
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


def serve() -> str:
    return serve_app(local_app(tempfile.mkdtemp(prefix="shots"), DEMO=True))


def choose(page: Page, question: str, label: str) -> None:
    option = page.locator(f"label.option:has(input[name={question}])", has_text=label)
    option.locator("input").check()


def walk(page: Page, base: str, snap) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/")
    snap("01-index")
    page.goto(f"{base}/surveys/about-you")
    page.wait_for_load_state("networkidle")
    snap("02-about-you")
    page.select_option("#state", label="Lagos")
    if page.locator("button[data-refresh]").count():  # JavaScript off
        page.click("button[data-refresh]")
        snap("03-after-show-lgas")
    page.select_option("#lga", label="Ikeja")
    choose(page, "age_band", "25–34")
    page.click("button.primary")
    snap("04-thanks-next")
    page.click("a.button")
    page.wait_for_load_state("networkidle")
    snap("05-where-you-shop-prefilled")
    page.click("button.primary")
    snap("06-thanks-last")
    page.goto(f"{base}/surveys/where-you-shop")
    page.select_option("#state", label="Kano")  # without a new LGA list, Ikeja is refused
    page.click("button.primary")
    snap("07-error")
    page.goto(f"{base}/surveys/about-you")
    page.click("text=Not now")
    snap("08-not-now")
    page.goto(f"{base}/privacy")
    snap("09-privacy")
    page.goto(f"{base}/me")
    snap("10-me")
    page.goto(f"{base}/demo")
    snap("11-demo")
    page.get_by_role("button", name="Sign in as Adaeze").click()
    page.goto(f"{base}/surveys/about-you")
    choose(page, "gender", "Female")
    page.click("button.primary")
    snap("12-thanks-signed-in")
    page.goto(f"{base}/surveys/about-you")
    choose(page, "age_band", "Under 18")
    page.click("button.primary")
    snap("13-under-18")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = serve()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for device, (width, height) in SIZES.items():
            for java_script in (True, False):
                context = browser.new_context(
                    viewport={"width": width, "height": height}, java_script_enabled=java_script
                )
                page = context.new_page()
                tag = f"{device}-{'js' if java_script else 'nojs'}"

                def snap(name: str, page: Page = page, tag: str = tag) -> None:
                    page.screenshot(path=str(out / f"{tag}-{name}.png"), full_page=True)

                walk(page, base, snap)
                context.close()
        browser.close()
    print(f"Screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
