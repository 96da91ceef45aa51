"""Sealing journal entries: AES-256-GCM over a fixed-size payload, and keyed lookup tags.

The keys come from ``ANSWERS_SEALING_KEY``: one or more comma-separated Fernet-format keys
(32 random bytes, URL-safe base64), the first of which seals; all of them open, so a key can
be rotated (add the new one first, keep the old one until a settle has run). Each key is
stretched with HKDF into an AEAD key and a tag key, so the two uses never share a key.

Why not Fernet itself: a Fernet token carries its creation time in clear, to the second, and
that is exactly what an entry must not say. AES-GCM with a random 96-bit nonce carries
nothing but the nonce. Why padded: a ciphertext is as long as its plaintext, so without
padding an entry's length would say how many questions were answered.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Every plaintext is padded to a multiple of this many bytes. A visit's entry is far
#: smaller (about 450 bytes at most), so every real entry is exactly one block; the size is
#: also small enough that a sealed row fits inside one SQLite page (no overflow page).
BLOCK = 768
_NONCE = 12
_LENGTH = 4
_AAD = b"surveys/answer-journal/v1"


class SealingKeyError(ValueError):
    """``ANSWERS_SEALING_KEY`` is not one or more comma-separated Fernet-format keys."""


class UnreadableEntry(ValueError):
    """An entry that none of the keys opens (tampered with, or sealed with a removed key)."""


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


def parse_keys(value: str) -> list[bytes]:
    """The raw 32-byte keys in ``value``; :class:`SealingKeyError` if any part is not one."""
    keys = []
    for part in value.split(","):
        try:
            raw = base64.urlsafe_b64decode(part.strip().encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise SealingKeyError(
                "ANSWERS_SEALING_KEY must be one or more comma-separated Fernet keys (make one "
                "with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        keys.append(raw)
    return keys


class Sealer:
    """Seals and opens journal payloads, and computes the lookup tags of respondent hashes."""

    def __init__(self, keys: str):
        raw = parse_keys(keys)
        self._aeads = [AESGCM(_derive(key, b"surveys/answer-journal/aead")) for key in raw]
        self._tag_keys = [_derive(key, b"surveys/answer-journal/tag") for key in raw]

    def tags(self, respondent_hash: str) -> list[str]:
        """The tag of a respondent hash under each key; the first is the one written."""
        message = respondent_hash.encode("ascii")
        return [hmac.digest(key, message, "sha256").hex() for key in self._tag_keys]

    def tag(self, respondent_hash: str | None) -> str:
        """The tag to write: keyed for a respondent, random (the same shape) for none."""
        if respondent_hash is None:
            return secrets.token_hex(32)
        return self.tags(respondent_hash)[0]

    def seal(self, payload: dict[str, Any], tag: str) -> bytes:
        """Encrypt ``payload`` padded to whole blocks; bound to ``tag``, so an entry cannot
        be moved to another browser's tag without failing to open."""
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        framed = len(body).to_bytes(_LENGTH, "big") + body
        padded = framed + bytes(-len(framed) % BLOCK)
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aeads[0].encrypt(nonce, padded, _AAD + tag.encode("ascii"))

    def open(self, sealed: bytes, tag: str) -> dict[str, Any]:
        nonce, body = bytes(sealed[:_NONCE]), bytes(sealed[_NONCE:])
        for aead in self._aeads:
            try:
                padded = aead.decrypt(nonce, body, _AAD + tag.encode("ascii"))
            except InvalidTag:
                continue
            length = int.from_bytes(padded[:_LENGTH], "big")
            payload: dict[str, Any] = json.loads(padded[_LENGTH : _LENGTH + length])
            return payload
        raise UnreadableEntry("no key in ANSWERS_SEALING_KEY opens this journal entry")


@lru_cache(maxsize=4)
def sealer_for(keys: str) -> Sealer:
    return Sealer(keys)


def sealed_size(blocks: int = 1) -> int:
    """How long a sealed entry of ``blocks`` blocks is (nonce + ciphertext + GCM tag)."""
    return _NONCE + blocks * BLOCK + 16
