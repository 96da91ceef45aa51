"""The shop's look comes from configuration only (SHOP_NAME, SHOP_BRAND_COLOUR, SHOP_LOGO),
through one stylesheet: nothing inline, and the invitation snippet stays small and plain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveys.config import ConfigError, load_config
from surveys.extensions import db
from surveys.services import catalogue

STATIC = Path(__file__).resolve().parents[1] / "static"
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
)


@pytest.fixture
def shop_app(make_app, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_bytes(LOGO)
    app = make_app(SHOP_NAME="Mama Put Stores", SHOP_BRAND_COLOUR="#7a1f5c", SHOP_LOGO=str(logo))
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


def test_by_default_the_pages_look_neutral(client):
    css = client.get("/shop.css").get_data(as_text=True)
    assert css == ":root{--svy-brand:#0b5394}\n"
    assert client.get("/shop-logo").status_code == 404
    assert ">Shop surveys</a></header>" in client.get("/surveys/about-you").get_data(as_text=True)


def test_the_brand_colour_and_logo_come_through_the_stylesheet(shop_app):
    client = shop_app.test_client()
    sheet = client.get("/shop.css")
    css = sheet.get_data(as_text=True)
    assert sheet.content_type == "text/css; charset=utf-8"
    assert ":root{--svy-brand:#7a1f5c}" in css and "url(shop-logo)" in css
    assert "public" in sheet.headers["Cache-Control"] and sheet.headers["ETag"]
    logo = client.get("/shop-logo")
    assert logo.data == LOGO and logo.content_type == "image/svg+xml"
    assert "default-src 'none'" in logo.headers["Content-Security-Policy"]


def test_every_shopper_page_names_the_shop_and_links_its_stylesheet(shop_app):
    page = shop_app.test_client().get("/surveys/about-you").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/shop.css">' in page
    assert '<span class="svy-logo"></span>Mama Put Stores</a></header>' in page
    assert " style=" not in page and "<style" not in page


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHOP_BRAND_COLOUR": "red"}, "SHOP_BRAND_COLOUR must be a colour written #rrggbb"),
        ({"SHOP_BRAND_COLOUR": "#123"}, "SHOP_BRAND_COLOUR must be a colour written #rrggbb"),
        ({"SHOP_BRAND_COLOUR": "#000000;}body{x:y"}, "must be a colour written #rrggbb"),
        ({"SHOP_BRAND_COLOUR": "#ffcc00"}, r"too light: white text on it has a contrast of 1\.5:1"),
        ({"SHOP_LOGO": "/etc/passwd"}, "SHOP_LOGO must be an .svg, .png or .webp file"),
        ({"SHOP_LOGO": "/nowhere/logo.png"}, "is not a file"),
        ({"SHOP_NAME": "Shop\nname"}, "SHOP_NAME must be at most 60 printable characters"),
        ({"SHOP_NAME": "x" * 61}, "SHOP_NAME must be at most 60 printable characters"),
    ],
)
def test_a_bad_look_setting_stops_the_app_with_a_message_naming_it(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env)


def test_a_logo_over_20_kb_is_refused(tmp_path):
    big = tmp_path / "logo.png"
    big.write_bytes(b"\0" * (20 * 1024 + 1))
    with pytest.raises(ConfigError, match="SHOP_LOGO must be at most 20 KB"):
        load_config(tmp_path, {"SHOP_LOGO": str(big)})


def test_the_invitation_snippet_is_at_most_3_kb_and_builds_plain_dom_nodes():
    script = (STATIC / "js" / "invite.js").read_text()
    assert len(script.encode()) <= 3 * 1024
    # Nothing a strict CSP refuses, no markup parsed from strings, no framework.
    for banned in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        ".style",
        "eval(",
        "new Function",
        "document.write",
        "import ",
    ):
        assert banned not in script, banned
    assert re.search(r'role: "region"', script)


def test_the_invitation_stylesheet_is_scoped_to_the_invitation():
    css = (STATIC / "css" / "invite.css").read_text()
    selectors = re.findall(r"(?:^|})\s*([^{}/]+)\{", css)
    for group in selectors:
        for selector in group.split(","):
            assert selector.strip().startswith(".svy-"), selector
