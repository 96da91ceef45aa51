"""The respondent key: a random token that only the respondent's browser holds.

The cookie carries the key signed (so a forged or edited cookie is refused) and nothing else.
The answers store only ever sees the SHA-256 of the key, so a copy of the database cannot be
turned back into a cookie that reads someone's answers.
"""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "respondent"
_SALT = "respondent-key"
_KEY_BYTES = 32


class TamperedCookie(ValueError):
    """The respondent cookie's signature or shape is wrong."""


def new_key() -> str:
    return secrets.token_urlsafe(_KEY_BYTES)


def respondent_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def sign(secret_key: str, key: str) -> str:
    return URLSafeSerializer(secret_key, salt=_SALT).dumps(key)


def unsign(secret_key: str, cookie_value: str) -> str:
    """The key inside a cookie value, or :class:`TamperedCookie`."""
    try:
        key = URLSafeSerializer(secret_key, salt=_SALT).loads(cookie_value)
    except BadSignature:
        raise TamperedCookie("respondent cookie has a bad signature") from None
    if not isinstance(key, str) or not 40 <= len(key) <= 64:
        raise TamperedCookie("respondent cookie does not hold a key")
    return key
