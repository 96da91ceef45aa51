"""Catalogues for the language tests: the real ones compiled afresh, and a pseudo-translation.

The pseudo-translation turns every letter of every msgid into a look-alike with a diacritic
("Thank you" -> "Ťȟȧňǩ ẏǒǔ") and keeps placeholders, HTML tags and entities as they are. A
page rendered through it has no English left exactly when every string on it is marked for
translation, so the "no English left" test means something before the real translations
arrive, and keeps meaning it when a new unmarked string slips in.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "surveys" / "translations"
POT = TRANSLATIONS / "messages.pot"
TRANSLATED = ("pcm", "ha", "yo", "ig")
#: The language the pseudo-translation is installed as (any of ours would do).
PSEUDO_AS = "yo"

#: Kept as they are: %(name)s placeholders, HTML tags, entities.
KEEP = re.compile(r"%\([a-z_]+\)s|<[^>]+>|&[a-z#0-9]+;")
LOOK_ALIKES = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ȧƀċđėƒġȟįǰǩŀṁňǒṗʠřșťǔṿẇẋẏżȦƁĊĐĖƑĠȞĮĴǨĿṀŇǑṖɊŘȘŤǓṼẆẊẎŻ",
)


def pseudo(text: str) -> str:
    pieces, last = [], 0
    for kept in KEEP.finditer(text):
        pieces += [text[last : kept.start()].translate(LOOK_ALIKES), kept.group()]
        last = kept.end()
    return "".join([*pieces, text[last:].translate(LOOK_ALIKES)])


def read_catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def pseudo_catalogue(language: str = PSEUDO_AS) -> Catalog:
    """messages.pot with every msgstr its pseudo-translation, in ``language``'s plural forms."""
    template = read_catalogue(POT)
    catalogue = Catalog(locale=language)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            forms = catalogue.num_plurals
            strings = tuple(pseudo(message.id[min(i, 1)]) for i in range(forms))
            catalogue.add(message.id, strings, flags=message.flags)
        else:
            catalogue.add(message.id, pseudo(message.id), flags=message.flags)
    return catalogue


def install(directory: Path, catalogues: dict[str, Catalog]) -> Path:
    """Compile ``catalogues`` (language -> catalogue) as Flask-Babel reads them."""
    for language, catalogue in catalogues.items():
        target = directory / language / "LC_MESSAGES"
        target.mkdir(parents=True, exist_ok=True)
        with (target / "messages.mo").open("wb") as handle:
            write_mo(handle, catalogue, use_fuzzy=False)
    return directory


def real_catalogues() -> dict[str, Catalog]:
    return {
        language: read_catalogue(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
        for language in TRANSLATED
    }


def english_fragments() -> set[str]:
    """The English words of every msgid, cut at placeholders and tags: what must not be seen
    on a translated page (fragments without a word of three letters or more left out)."""
    fragments = set()
    for message in read_catalogue(POT):
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in KEEP.split(text or ""):
                piece = " ".join(piece.split()).strip(" .,:;!?()“”\"'·")
                if re.search(r"[A-Za-z]{3,}", piece):
                    fragments.add(piece)
    return fragments
