"""The shop's look, from configuration only: ``/shop.css`` (the brand colour and, when there is
one, the logo) and ``/shop-logo``. Every shopper page and the invitation snippet link the same
stylesheet, so nothing is ever styled inline and the CSP stays ``style-src 'self'``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, make_response, request

from surveys.config import LOGO_TYPES
from surveys.shopper import bp

#: Cached a little while by browsers and proxies: it changes only when the settings do.
MAX_AGE = 3600


@cache
def _stylesheet(colour: str, has_logo: bool) -> bytes:
    # The colour was checked at start-up (#rrggbb): nothing else from the settings gets in.
    rules = [f":root{{--svy-brand:{colour}}}"]
    if has_logo:
        # Relative to this stylesheet, so it works under any prefix and from the shop's pages.
        rules.append(
            ".svy-logo{display:inline-block;width:2rem;height:2rem;margin-right:.5rem;"
            "vertical-align:middle;background:url(shop-logo) center/contain no-repeat}"
        )
    return ("\n".join(rules) + "\n").encode()


def _cached(response: Response) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/shop.css")
def stylesheet() -> Response:
    config = current_app.config
    response = make_response(_stylesheet(config["SHOP_BRAND_COLOUR"], bool(config["SHOP_LOGO"])))
    response.content_type = "text/css; charset=utf-8"
    return _cached(response)


@bp.get("/shop-logo")
def logo() -> Response:
    path = current_app.config["SHOP_LOGO"]
    if not path:
        abort(404)
    response = make_response(Path(path).read_bytes())
    response.content_type = LOGO_TYPES[Path(path).suffix.lower()]
    # An SVG opened on its own runs under this site's CSP (default-src 'none'): no script.
    return _cached(response)


@bp.app_context_processor
def shop_context() -> dict[str, Any]:
    return {"shop_name": current_app.config["SHOP_NAME"]}
