"""Lighthouse (mobile) on the shopper pages: the list, a survey and a thank-you page, with the
bytes each page weighs with its CSS and JS. Not part of the suite: it fetches Lighthouse 12
from npm the first time (`npx`), and its performance score depends on how busy the machine is.

    .venv/bin/python scripts/lighthouse_shopper_pages.py [OUT_DIR]

It serves the app as `make run` does (Flask's development server, on temporary SQLite stores
with the default surveys), answers "About you" once over HTTP to reach a real thank-you page,
then runs, for each page (the thank-you page with that visit's cookies):

    CHROME_PATH=/usr/bin/chromium npx -y lighthouse@12 URL --form-factor=mobile \\
        --only-categories=performance,accessibility --chrome-flags="--headless=new --no-sandbox" \\
        --output=json --output-path=OUT_DIR/NAME.json --quiet

and prints a table (docs/shopper-pages.md keeps the latest one). Exits 1 if a score is under 100.
``LIGHTHOUSE_LANG=yo`` (or pcm, ha, ig) runs every page in that language (its cookie sent).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from local_app import local_app
from local_app import serve as serve_app

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LIGHTHOUSE = ["npx", "-y", "lighthouse@12"]
CATEGORIES = ("performance", "accessibility")
ATTEMPTS = 3
LANGUAGE = os.environ.get("LIGHTHOUSE_LANG", "")


def serve() -> str:
    return serve_app(local_app(tempfile.mkdtemp(prefix="lighthouse")))


def answer_about_you(base: str) -> tuple[str, str]:
    """Answer "About you" as a browser without JavaScript would: the thank-you page's URL and
    the Cookie header that shows it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    if LANGUAGE:
        opener.open(f"{base}/?lang={LANGUAGE}").read()  # sets the language cookie
    form = opener.open(f"{base}/surveys/about-you").read().decode()
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', form)
    if not token:
        raise SystemExit("no CSRF token on the survey page")
    answers = {"csrf_token": token.group(1), "age_band": "age_25_34", "gender": "female"}
    with opener.open(f"{base}/surveys/about-you", urllib.parse.urlencode(answers).encode()) as r:
        thanks, shown = r.url, r.read().decode()
    if "/thanks" not in thanks or 'class="summary"' not in shown:
        raise SystemExit(f"the survey did not end on a thank-you page with its answers: {thanks}")
    return thanks, "; ".join(f"{c.name}={c.value}" for c in jar)


def page_bytes(url: str, cookie: str = "") -> int:
    """The page with its stylesheets and scripts (and the LGA list survey.js fetches), as
    tests/test_pages_are_light_and_safe.py counts them: bytes of the bodies, uncompressed."""

    def get(address: str) -> bytes:
        # Only ever our own local server, over http.
        request = urllib.request.Request(address, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return response.read()

    html = get(url)
    text = html.decode()
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
    assets += re.findall(r'<script src="([^"]+)"', text)
    if "js/survey.js" in text:
        assets.append("/lgas.json")
    origin = re.match(r"https?://[^/]+", url).group(0)  # type: ignore[union-attr]
    return len(html) + sum(len(get(origin + path)) for path in assets)


def lighthouse(url: str, out: Path, cookie: str = "") -> dict[str, float]:
    command = [
        *LIGHTHOUSE,
        url,
        "--form-factor=mobile",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    # On a busy machine Lighthouse now and then loses its trace (NO_NAVSTART) and says to run it
    # again: up to three tries, each said out loud.
    for attempt in range(1, ATTEMPTS + 1):
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, check=False)  # noqa: S603
        report = json.loads(out.read_text()) if out.exists() else {}
        if done.returncode == 0 and not report.get("runtimeError"):
            break
        print(f"Lighthouse failed on {url} (try {attempt} of {ATTEMPTS})", file=sys.stderr)
    else:
        raise SystemExit(f"Lighthouse failed {ATTEMPTS} times on {url}")
    scores = {name: report["categories"][name]["score"] * 100 for name in CATEGORIES}
    scores["transferred"] = report["audits"]["total-byte-weight"]["numericValue"]
    return scores


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    base = serve()
    thanks, cookie = answer_about_you(base)
    chosen = f"lang={LANGUAGE}" if LANGUAGE else ""
    pages = [
        ("index", f"{base}/", chosen),
        ("survey-about-you", f"{base}/surveys/about-you", chosen),
        ("thanks", thanks, cookie),
    ]
    print(f"{'page':18} {'performance':>11} {'accessibility':>13} {'bytes':>6} {'transferred':>11}")
    worst = 100.0
    for name, url, cookie_header in pages:
        scores = lighthouse(url, out / f"{name}.json", cookie_header)
        size = page_bytes(url, cookie_header)
        worst = min(worst, scores["performance"], scores["accessibility"])
        print(
            f"{name:18} {scores['performance']:>11.0f} {scores['accessibility']:>13.0f}"
            f" {size:>6} {scores['transferred']:>11.0f}"
        )
    return 0 if worst == 100 else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="lh"))))
