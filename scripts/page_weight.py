"""Bytes of each survey page with its CSS, JS and LGA list, per language: what the 20 KB
budget counts (tests/test_pages_are_light_and_safe.py, tests/i18n/test_page_weight.py).

    .venv/bin/python scripts/page_weight.py

English, the pseudo-translation (every letter two bytes: a heavy stand-in for any language)
and each of pcm, ha, yo and ig through its catalogue as it is in the repository (falling back
to English for whatever is not translated yet). Temporary SQLite stores, the default surveys.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_app import local_app  # noqa: E402
from tests.i18n import catalogues  # noqa: E402

BUDGET = 20 * 1024
SLUGS = ("about-you", "where-you-shop")


def weigh(language: str, translations: Path, stores: Path) -> dict[str, int]:
    mine = tempfile.mkdtemp(prefix=f"{language}-", dir=stores)
    app = local_app(mine, TESTING=True, BABEL_TRANSLATION_DIRECTORIES=str(translations))
    client = app.test_client()
    client.set_cookie("lang", language)
    sizes = {}
    for slug in SLUGS:
        page = client.get(f"/surveys/{slug}")
        text = page.get_data(as_text=True)
        assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
        assets += re.findall(r'<script src="([^"]+)"', text) + ["/lgas.json"]
        sizes[slug] = len(page.data) + sum(len(client.get(url).data) for url in assets)
    return sizes


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        rows = {"en": weigh("en", work / "none", work)}
        pseudo = catalogues.install(work / "pseudo", {"yo": catalogues.pseudo_catalogue()})
        rows["pseudo"] = weigh("yo", pseudo, work)
        for language, catalogue_ in catalogues.real_catalogues().items():
            installed = catalogues.install(work / language, {language: catalogue_})
            rows[language] = weigh(language, installed, work)
    print(f"{'language':10}" + "".join(f"{slug:>16}" for slug in SLUGS))
    for language, sizes in rows.items():
        cells = "".join(
            f"{sizes[slug]:>14,}{' !' if sizes[slug] >= BUDGET else '  '}" for slug in SLUGS
        )
        print(f"{language:10}{cells}")
    print(f"budget {BUDGET:,} bytes; ! marks a page over it")


if __name__ == "__main__":
    main()
