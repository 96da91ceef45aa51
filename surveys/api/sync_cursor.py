"""The bulk sync's cursor: where a walk over every consenting subject has got to.

It carries two things, so that the walk needs no state on the server: the change-feed
cursor taken before the walk's first page (the same on every page, and where the client
follows the feed from once the walk is done), and the last subject given out (the next page
starts after it).

It is encrypted and authenticated (Fernet, under a key derived from ``SECRET_KEY`` for this
use alone), and padded to one length: opaque to the client, saying nothing about any subject
(not even its length), and one the API did not give out is refused, so no client can start a
page at a subject of its choosing. A new ``SECRET_KEY`` makes walks in progress start again
(a ``400``), nothing worse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

#: Longer than any cursor: a 128-character subject of 4-byte characters, encrypted.
MAX_LENGTH = 2048
#: The most characters a subject has (the column's length).
MAX_SUBJECT = 128
_CONTEXT = b"surveys/sync-cursor/v1"
#: Every cursor's plaintext is padded to this many bytes (the longest possible is ~540).
PADDED = 640


@dataclass(frozen=True, slots=True)
class Position:
    #: The change-feed cursor taken before the first page.
    changes: int
    #: The last subject given out ("" before the first page).
    subject: str


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = hmac.new(secret_key.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encode(position: Position, secret_key: str) -> str:
    text = json.dumps([position.changes, position.subject], ensure_ascii=False).encode("utf-8")
    padded = text.ljust(PADDED)  # JSON ignores the trailing spaces
    return _fernet(secret_key).encrypt(padded).decode("ascii").rstrip("=")


def decode(raw: str, secret_key: str) -> Position:
    """The position in ``raw``; ValueError unless :func:`encode` made it with this key."""
    if not raw or len(raw) > MAX_LENGTH or not raw.isascii():
        raise ValueError("not a cursor")
    try:
        text = _fernet(secret_key).decrypt((raw + "=" * (-len(raw) % 4)).encode("ascii"))
        changes, subject = json.loads(text)
    except (InvalidToken, ValueError, TypeError) as error:
        raise ValueError("not a cursor") from error
    if (
        type(changes) is not int
        or not 0 <= changes < 2**63
        or not isinstance(subject, str)
        or len(subject) > MAX_SUBJECT
    ):
        raise ValueError("not a cursor")  # pragma: no cover - only encode() writes them
    return Position(changes, subject)
