"""How far above the 128-bit line do real random keys read? (surveys/secret_strength.py)

Run from the repository root (about a minute per million keys of each kind):

    .venv/bin/python bench/secret_strength.py --samples 1000000

For each way of making a key that people use, it makes N keys and prints the lowest, the
0.01 % quantile and the median estimate, and how many fell under MIN_BITS (production
refuses those). Then it prints the estimate for a few placeholders, which must all be under.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys import secret_strength  # noqa: E402

MAKERS = {
    "secrets.token_urlsafe(48)": lambda: secrets.token_urlsafe(48),
    "secrets.token_urlsafe(32)": lambda: secrets.token_urlsafe(32),
    "secrets.token_hex(32)": lambda: secrets.token_hex(32),
    "openssl rand -base64 32": lambda: base64.b64encode(os.urandom(32)).decode(),
    "Fernet.generate_key()": lambda: Fernet.generate_key().decode(),
    # Under 128 bits of real entropy: refused some or all of the time, as they should be.
    "secrets.token_hex(16) (128 bits, hex)": lambda: secrets.token_hex(16),
    "uuid4 (122 bits)": lambda: str(uuid.uuid4()),
}
PLACEHOLDERS = [
    "x" * 40,
    " " * 32,
    "change-me-to-a-long-random-string",
    "change-me-to-a-very-long-random-string-please",
    "correct horse battery staple correct horse",
    # Passes: a long sentence reads as enough words. The check refuses placeholders; it
    # cannot prove a key random.
    "this is my secret key for production use only",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()
    floor = secret_strength.MIN_BITS
    print(f"{args.samples} keys of each kind; production needs {floor} bits")
    print(f"{'made with':40} {'lowest':>7} {'0.01 %':>7} {'median':>7}  refused")
    for name, make in MAKERS.items():
        found = sorted(secret_strength.estimated_bits(make()) for _ in range(args.samples))
        refused = sum(bits < floor for bits in found)
        quantile = found[args.samples // 10_000]
        print(f"{name:40} {found[0]:7.1f} {quantile:7.1f} {found[len(found) // 2]:7.1f}  {refused}")
    raw = sorted(
        secret_strength._repetition_bits(os.urandom(32).decode("latin-1"))
        for _ in range(args.samples)
    )
    print(
        f"{'Fernet key bytes (repetition bits)':40} {raw[0]:7.1f} {'':7} {raw[len(raw) // 2]:7.1f}"
    )
    print("placeholders:")
    for text in PLACEHOLDERS:
        print(f"  {text!r:50} {secret_strength.estimated_bits(text):6.1f}")


if __name__ == "__main__":
    main()
