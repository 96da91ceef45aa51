"""The thank-you and "Not now" pages lead back to the shop page the shopper came from, when
the shop passes ``return_to`` on SHOP_URL's origin; any other address is ignored."""

from __future__ import annotations

import re

import pytest

from surveys.extensions import db
from surveys.services import catalogue
from surveys.shopper.return_to import safe_return_to
from tests.conftest import csrf_token

SHOP = "https://shop.example.ng/"
PAGE = "https://shop.example.ng/phones/tecno-spark?colour=blue#reviews"


@pytest.mark.parametrize(
    "address",
    [
        "https://shop.example.ng/",
        "https://shop.example.ng",
        PAGE,
        "https://SHOP.example.ng/cart",
        "https://shop.example.ng:443/cart",
    ],
)
def test_an_address_on_the_shops_origin_is_kept_as_given(address):
    assert safe_return_to(address, SHOP) == address


@pytest.mark.parametrize(
    "address",
    [
        "//evil.example/",
        "///evil.example/",
        "/relative/path",
        "https://shop.example.ng.evil/",
        "https://evil.example/https://shop.example.ng/",
        "https://shop.example.ng@evil.example/",
        "https://user:pass@shop.example.ng/",
        "https://evil.example\\@shop.example.ng/",
        "https://shop.example.ng\\@evil.example/",
        "https:\\\\evil.example",
        "https:/\\evil.example/",
        "https://shop.example.ng\t.evil/",
        "https://shop.example.ng/\n",
        " https://shop.example.ng/",
        "javascript:alert(document.domain)//https://shop.example.ng/",
        "JavaScript://shop.example.ng/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://shop.example.ng/",
        "https://shop.example.ng:8443/",
        "https://shop.example.ng:notaport/",
        "ftp://shop.example.ng/",
        "https:shop.example.ng/cart",
        "https://shöp.example.ng/",
        "https://shop.example.ng/" + "a" * 2000,
        "",
    ],
)
def test_anything_off_the_shops_origin_is_refused(address):
    assert safe_return_to(address, SHOP) is None


def test_without_a_shop_url_no_address_is_accepted():
    assert safe_return_to(PAGE, "") is None


@pytest.fixture
def shop_browser(make_app, shopper_of):
    app = make_app(SHOP_URL=SHOP)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return shopper_of(app)


def back_link(page_text: str) -> str:
    found = re.search(r'<a href="([^"]*)">Back to the shop</a>', page_text)
    assert found, "no link back to the shop"
    return found.group(1).replace("&amp;", "&")


def test_answering_returns_to_the_shop_page_the_shopper_came_from(shop_browser):
    form = shop_browser.client.get("/surveys/about-you", query_string={"return_to": PAGE})
    assert f'name="return_to" value="{PAGE}"' in form.get_data(as_text=True)
    sent = shop_browser.client.post(
        "/surveys/about-you",
        data={"csrf_token": csrf_token(form), "gender": "female", "return_to": PAGE},
    )
    thanks = shop_browser.client.get(sent.headers["Location"])
    assert back_link(thanks.get_data(as_text=True)) == PAGE


def test_not_now_returns_to_the_shop_page_the_shopper_came_from(shop_browser):
    form = shop_browser.client.get("/surveys/about-you", query_string={"return_to": PAGE})
    sent = shop_browser.client.post(
        "/surveys/about-you/not-now", data={"csrf_token": csrf_token(form), "return_to": PAGE}
    )
    put_off = shop_browser.client.get(sent.headers["Location"])
    assert back_link(put_off.get_data(as_text=True)) == PAGE


@pytest.mark.parametrize(
    "address", ["//evil.example/", "https://shop.example.ng@evil.example/", "javascript:alert(1)"]
)
def test_a_foreign_return_to_is_ignored_all_the_way_to_the_thank_you_page(shop_browser, address):
    form = shop_browser.client.get("/surveys/about-you", query_string={"return_to": address})
    assert 'name="return_to"' not in form.get_data(as_text=True)
    sent = shop_browser.client.post(
        "/surveys/about-you",
        data={"csrf_token": csrf_token(form), "gender": "female", "return_to": address},
    )
    assert "return_to" not in sent.headers["Location"]
    thanks = shop_browser.client.get(
        "/surveys/about-you/thanks", query_string={"return_to": address}
    ).get_data(as_text=True)
    assert back_link(thanks) == SHOP
    assert "evil" not in thanks and "javascript" not in thanks


def test_return_to_is_ignored_when_no_shop_is_configured(shopper):
    shopper.submit("about-you", {"gender": "male"}, return_to=PAGE)
    text = shopper.client.get(
        "/surveys/about-you/thanks", query_string={"return_to": PAGE}
    ).get_data(as_text=True)
    assert "shop.example.ng" not in text and '<a href="/">See all surveys</a>' in text
