"""Where the thank-you and "Not now" pages send a shopper back to: the shop page they came
from, when the shop says so with ``return_to`` and that address is on ``SHOP_URL``'s origin.

Anything else is ignored, never "cleaned up": a browser reads some addresses differently from
Python's ``urlsplit`` (a backslash as a slash, tabs and newlines dropped, ``//host`` as another
site), so an address with any of those is refused outright rather than interpreted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Longer than any page address a shop needs; longer ones are refused, not cut.
MAX_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def safe_return_to(value: str | None, shop_url: str | None) -> str | None:
    """``value`` if it is an absolute http(s) address on ``shop_url``'s origin, else None."""
    if not value or not shop_url or len(value) > MAX_LENGTH:
        return None
    # Control characters, spaces and backslashes: browsers strip or reinterpret them.
    if not value.isascii() or any(c <= " " or c in "\\\x7f" for c in value):
        return None
    shop = _origin(shop_url)
    if shop is None or _origin(value) != shop:
        return None
    parts = urlsplit(value)
    # userinfo (https://shop.ng@evil.example/) and any scheme other than the shop's.
    if "@" in parts.netloc or parts.scheme != shop[0]:
        return None
    # The address must start exactly as written: scheme, "//", host.
    if not value.lower().startswith(f"{parts.scheme}://{parts.netloc.lower()}"):
        return None
    return value
