"""Where the thank-you and "Not now" pages send a shopper back to: the shop page they came
from, when the shop says so with ``return_to`` and that address is on ``SHOP_URL``'s origin.

Anything else is ignored, never "cleaned up": a browser reads some addresses differently from
Python's ``urlsplit`` (a backslash as a slash, tabs and newlines dropped, ``//host`` as another
site), so an address with any of those is refused outright rather than interpreted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from surveys.security import origin_of

#: Longer than any page address a shop needs; longer ones are refused, not cut.
MAX_LENGTH = 2000


def safe_return_to(value: str | None, shop_url: str | None) -> str | None:
    """``value`` if it is an absolute http(s) address on ``shop_url``'s origin, else None."""
    if not value or not shop_url or len(value) > MAX_LENGTH:
        return None
    # Control characters, spaces and backslashes: browsers strip or reinterpret them.
    if not value.isascii() or any(c <= " " or c in "\\\x7f" for c in value):
        return None
    shop = origin_of(shop_url)
    if shop is None or origin_of(value) != shop:
        return None
    parts = urlsplit(value)
    # userinfo (https://shop.ng@evil.example/) and any scheme other than the shop's.
    if "@" in parts.netloc or parts.scheme != shop[0]:
        return None
    # The address must start exactly as written: scheme, "//", host.
    if not value.lower().startswith(f"{parts.scheme}://{parts.netloc.lower()}"):
        return None
    return value
