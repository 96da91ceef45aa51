"""How guessable is a secret? A cautious estimate, to refuse placeholders in production.

A key copied from an example ("change-me-to-a-long-random-string", forty "x"s, thirty-two
spaces) is long enough to pass a length check and worthless. We cannot measure the entropy
of one string, but we can bound it from above by how an attacker would guess it, and take
the smaller of two such guesses:

- **Repetition** (order-0 Shannon): the string's length times the entropy of its own
  character frequencies. Forty "x"s: 0 bits.
- **Words and characters**: every run of three or more letters in one case ("change",
  "Secret", "KEY") counts as picks from a list of 4,096 common words (12 bits a word, a
  word for every six letters begun); every other character as one pick from the character
  classes the string uses (26 lower, 26 upper, 10 digits, 33 ASCII symbols); a symbol used
  again (a separator) as 1 bit. "change-me-to-a-long-random-string": about 88 bits.

Both overestimate a human's phrase and underestimate a random key. Keys made as the docs say
(``secrets.token_urlsafe(48)``, ``Fernet.generate_key()``) read far above the 128 bits asked
for (bench/secret_strength.py gives the lowest of millions of samples; docs/configuration.md
has the numbers). A long enough sentence does pass: this refuses placeholders, it cannot
prove a key random.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter

#: What production asks of every secret.
MIN_BITS = 128
#: One word from a list of 4,096 common ones (placeholder phrases use the commonest).
WORD_BITS = 12.0
#: A run of letters is read as this many letters a word (English words average about five).
LETTERS_PER_WORD = 6
#: A run of letters in one case, long enough to be a word: guessed as one.
_WORD_OR_CHARACTER = re.compile(r"[^\W\d_]{3,}|.", re.DOTALL)


def _repetition_bits(text: str) -> float:
    counts = Counter(text)
    return sum(n * math.log2(len(text) / n) for n in counts.values())


def _alphabet_size(text: str) -> int:
    size = 26 if any(c.islower() for c in text) else 0
    size += 26 if any(c.isupper() for c in text) else 0
    size += 10 if any(c.isdigit() for c in text) else 0
    size += 33 if any(c.isascii() and not c.isalnum() for c in text) else 0
    size += 100 if any(not c.isascii() and c.isalnum() for c in text) else 0
    return max(size, 2)


def _word_bits(text: str) -> float:
    per_character = math.log2(_alphabet_size(text))
    bits, symbols_seen = 0.0, set()
    for match in _WORD_OR_CHARACTER.finditer(text):
        part = match.group()
        if len(part) > 1:  # a run of letters
            in_one_case = part.islower() or part.isupper() or part.istitle()
            cost = len(part) * per_character
            as_words = WORD_BITS * math.ceil(len(part) / LETTERS_PER_WORD)
            bits += min(cost, as_words) if in_one_case else cost
        elif part.isalnum() or part not in symbols_seen:
            bits += per_character
            if not part.isalnum():
                symbols_seen.add(part)
        else:
            bits += 1.0  # the same separator again
    return bits


def estimated_bits(text: str) -> float:
    """An upper bound on how many bits of guessing ``text`` is worth (see the module doc)."""
    return min(_repetition_bits(text), _word_bits(text))


def fernet_key_weakness(key: str) -> str | None:
    """Why a well-formed Fernet key is not random, or None.

    Its 32 bytes must look like random bytes: not repeating (an all-zero key has 0 bits) and
    not all printable ASCII (a passphrase encoded as a key; random bytes are all printable
    with probability (95/256)^32, about 1e-14).
    """
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError):
        return "it is not base64"
    bits = _repetition_bits(raw.decode("latin-1"))
    if bits < MIN_BITS:
        return f"its bytes repeat (about {bits:.0f} bits of randomness, {MIN_BITS} needed)"
    if all(0x20 <= byte < 0x7F for byte in raw):
        return "its bytes are all printable text, not random bytes"
    return None
