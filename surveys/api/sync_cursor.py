"""The bulk sync's cursor: where a walk over every consenting subject has got to.

It carries two things, so that the walk needs no state on the server: the change-feed
cursor taken before the walk's first page (the same on every page, and where the client
follows the feed from once the walk is done), and the last subject looked at (the next page
starts after it). Opaque to clients: URL-safe base64 of a small JSON array. It holds a
subject the client was already given, nothing more; anything that does not decode to exactly
this shape is refused, so a client cannot resume from a position no page gave out by mistake.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

#: Longer than any encoded cursor (a 128-character subject of 4-byte characters).
MAX_LENGTH = 1024
#: The most characters a cursor may carry (a subject's column length).
MAX_SUBJECT = 128


@dataclass(frozen=True, slots=True)
class Position:
    #: The change-feed cursor taken before the first page.
    changes: int
    #: The last subject looked at ("" before the first page).
    subject: str


def encode(position: Position) -> str:
    text = json.dumps([position.changes, position.subject], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode(raw: str) -> Position:
    """The position in ``raw``; ValueError for anything :func:`encode` could not have made."""
    if not raw or len(raw) > MAX_LENGTH or not raw.isascii():
        raise ValueError("not a cursor")
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
        changes, subject = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, RecursionError) as error:
        raise ValueError("not a cursor") from error
    if (
        type(changes) is not int
        or not 0 <= changes < 2**63
        or not isinstance(subject, str)
        or len(subject) > MAX_SUBJECT
        or "\x00" in subject
        or not _is_text(subject)
        or encode(Position(changes, subject)) != raw
    ):
        raise ValueError("not a cursor")
    return Position(changes, subject)


def _is_text(value: str) -> bool:
    """False for a lone surrogate (``"\\ud800"`` is valid JSON, but no store can hold it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
