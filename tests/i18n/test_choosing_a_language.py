"""Choosing the language: the link on every page (a plain GET), the cookie that remembers
it (a language code and nothing else), Accept-Language, English otherwise, and the pages
that stay English whatever the shopper chose (the staff dashboard, the API)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from surveys.i18n import LANGUAGES, language_from, safe_next


def lang_of(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', page)
    assert match, "no <html lang>"
    return match.group(1)


def language_links(page: str) -> dict[str, str]:
    """The language list: own name -> address."""
    nav = re.search(r'<nav class="langs"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, "no language list"
    return {
        name: href.replace("&amp;", "&")
        for href, name in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(1))
    }


def test_every_shopper_page_lists_the_five_languages_in_their_own_names(client):
    for path in ["/surveys/about-you", "/privacy", "/me", "/no-such-page"]:
        links = language_links(client.get(path).get_data(as_text=True))
        assert list(links) == ["English", "Naijá (Pidgin)", "Hausa", "Yorùbá", "Igbo"], path


def test_the_link_remembers_the_language_and_comes_back_to_the_page(client):
    page = client.get("/surveys/about-you").get_data(as_text=True)
    assert lang_of(page) == "en"
    link = language_links(page)["Hausa"]
    assert link == "?lang=ha"  # the page itself, in Hausa: a plain GET link
    again = client.get(urljoin("http://localhost/surveys/about-you", link))
    assert lang_of(again.get_data(as_text=True)) == "ha"
    assert any(c.startswith("lang=ha;") for c in again.headers.getlist("Set-Cookie"))
    assert lang_of(client.get("/privacy").get_data(as_text=True)) == "ha"  # remembered


def test_the_language_route_remembers_it_and_goes_back(client):
    went = client.get("/language/yo?next=/surveys/about-you")
    assert went.status_code == 303
    assert went.headers["Location"] == "/surveys/about-you"
    assert lang_of(client.get("/surveys/about-you").get_data(as_text=True)) == "yo"


def test_the_cookie_holds_only_the_language_code(client):
    went = client.get("/language/yo?next=/privacy")
    cookies = went.headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    name_value, *attributes = [part.strip() for part in cookies[0].split(";")]
    assert name_value == "lang=yo"
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)
    assert "Secure" not in attributes  # plain HTTP in tests; see the production test below
    assert "no-store" in went.headers["Cache-Control"]


def test_in_production_the_cookie_is_secure(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    cookie = app.test_client().get("/language/ig").headers["Set-Cookie"]
    assert cookie.startswith("lang=ig;") and "Secure" in cookie


def test_under_the_shops_prefix_the_cookie_and_the_way_back_keep_to_the_app(make_app):
    app = make_app(TRUSTED_PROXIES=1, SHOP_URL="https://shop.example.ng/")
    proxied = {"X-Forwarded-Prefix": "/surveys", "X-Forwarded-Host": "shop.example.ng"}
    client = app.test_client()
    page = client.get("/privacy", headers=proxied)
    assert language_links(page.get_data(as_text=True))["Igbo"] == "?lang=ig"
    chosen = client.get("/privacy?lang=ig", headers=proxied)
    assert "Path=/surveys/" in chosen.headers["Set-Cookie"]
    # Through the route (a page that carries the shop's return_to): back under the prefix.
    page = client.get(
        "/surveys/about-you?return_to=https://shop.example.ng/phones", headers=proxied
    ).get_data(as_text=True)
    link = language_links(page)["Igbo"]
    assert link.startswith("/surveys/language/ig?next=/surveys/about-you")
    went = client.get(link.removeprefix("/surveys"), headers=proxied)
    assert went.headers["Location"].startswith("/surveys/surveys/about-you?return_to=")
    assert "Path=/surveys/" in went.headers["Set-Cookie"]


@pytest.mark.parametrize(
    "trick",
    [
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "/\tevil",
        "/%0d%0aSet-Cookie:x=1",
        "evil.example",
        "",
    ],
)
def test_next_is_only_ever_a_path_on_this_site(client, trick):
    went = client.get("/language/ha", query_string={"next": trick})
    assert went.status_code == 303
    location = went.headers["Location"]
    assert location == "/" or (location.startswith("/") and not location.startswith("//"))
    assert "evil" not in location and "\n" not in location and "\r" not in location
    assert went.headers["Set-Cookie"].startswith("lang=ha;")


def test_safe_next_keeps_a_local_path_with_its_query():
    assert safe_next("/surveys/about-you?return_to=https%3A%2F%2Fshop.ng%2F") == (
        "/surveys/about-you?return_to=https%3A%2F%2Fshop.ng%2F"
    )
    assert safe_next("//evil.example") is None and safe_next("/\\evil") is None


def test_the_way_back_keeps_a_shop_return_to_and_drops_anything_else(make_app):
    app = make_app(SHOP_URL="https://shop.example.ng/")
    client = app.test_client()
    page = client.get(
        "/surveys/about-you?return_to=https://shop.example.ng/phones&x=<b>&y=evil"
    ).get_data(as_text=True)
    link = language_links(page)["Hausa"]
    assert link == (
        "/language/ha?next=/surveys/about-you?return_to%3Dhttps%253A%252F%252Fshop.example.ng"
        "%252Fphones"
    )
    went = client.get(link)
    assert went.headers["Location"] == (
        "/surveys/about-you?return_to=https%3A%2F%2Fshop.example.ng%2Fphones"
    )


def test_a_page_shown_after_a_form_post_links_back_to_a_page_that_can_be_opened(client):
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"',
        client.get("/surveys/about-you").get_data(as_text=True),
    ).group(1)
    page = client.post("/surveys/about-you", data={"csrf_token": token, "gender": "x"})
    assert page.status_code == 400
    assert language_links(page.get_data(as_text=True))["Hausa"].endswith("next=/surveys/about-you")
    confirm = client.post("/me/delete", data={"csrf_token": token})
    assert language_links(confirm.get_data(as_text=True))["Hausa"].endswith("next=/me")


def test_an_unknown_language_is_refused_clearly_and_nothing_is_set(client):
    for code in ["xx", "fr", "EN", "ha-NG", "h%C3%A0"]:
        refused = client.get(f"/language/{code}?next=/privacy")
        assert refused.status_code == 404, code
        assert "Set-Cookie" not in refused.headers, code
        assert "We do not have that language" in refused.get_data(as_text=True)
    assert client.get("/privacy").headers.get("Set-Cookie") is None
    assert '<html lang="en">' in client.get("/privacy").get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ha-NG,ha;q=0.9,en;q=0.8", "ha"),
        ("yo", "yo"),
        ("fr-FR,ig;q=0.5", "ig"),
        ("pcm-NG", "pcm"),
        ("fr-FR,de;q=0.5", "en"),
        ("en-GB,ha;q=0.4", "en"),
        ("", "en"),
        # q=0 says "not this one" (RFC 9110 §12.4.2): a refused language is never chosen.
        ("ha;q=0", "en"),
        ("ha;q=0,yo;q=0.1", "yo"),
        ("ha;q=0.000,fr", "en"),
    ],
)
def test_accept_language_picks_the_best_of_the_five(client, header, expected):
    page = client.get("/privacy", headers={"Accept-Language": header}).get_data(as_text=True)
    assert lang_of(page) == expected


def test_the_chosen_language_wins_over_accept_language(client):
    client.get("/language/ig")
    page = client.get("/privacy", headers={"Accept-Language": "ha"}).get_data(as_text=True)
    assert lang_of(page) == "ig"


def test_a_cookie_that_is_not_one_of_our_codes_is_ignored(client):
    client.set_cookie("lang", "<script>")
    page = client.get("/privacy", headers={"Accept-Language": "yo"}).get_data(as_text=True)
    assert lang_of(page) == "yo"


def test_the_dashboard_and_the_api_stay_english(client):
    client.get("/language/ha")
    login = client.get("/dashboard/login").get_data(as_text=True)
    assert '<html lang="en">' in login
    problem = client.get("/api/v1/profiles/nobody").get_json()
    assert problem["title"] and problem["status"] == 401


def test_a_shop_page_language_in_the_address_is_kept_on_the_page_it_opens(client):
    page = client.get("/surveys/about-you?lang=ha")
    assert lang_of(page.get_data(as_text=True)) == "ha"
    assert page.headers["Set-Cookie"].startswith("lang=ha;") or any(
        c.startswith("lang=ha;") for c in page.headers.getlist("Set-Cookie")
    )
    ignored = client.get("/privacy?lang=zz", headers={"Accept-Language": "en"})
    assert lang_of(ignored.get_data(as_text=True)) == "ha"  # the remembered one still


def test_the_invitation_sets_no_language_cookie(client):
    answer = client.get("/invitation.json?lang=yo")
    assert answer.get_json()["lang"] == "yo"
    assert not any(c.startswith("lang=") for c in answer.headers.getlist("Set-Cookie"))


def test_language_tags_are_read_leniently_but_only_ours_are_taken():
    assert language_from("ha-NG") == "ha" and language_from("YO") == "yo"
    assert language_from("pcm_NG") == "pcm" and language_from(" ig ") == "ig"
    assert language_from("fr") is None and language_from("") is None
    assert language_from("h" * 100) is None
    assert set(LANGUAGES) == {"en", "pcm", "ha", "yo", "ig"}


@pytest.mark.parametrize(
    "header",
    ["ha;q=abc", "ha;q=nan,yo", "ha;q=1e999", ",,,;;;=", "yo;q=-1,ig;q=2", "*", "a" * 8000,
     "ha-" + "x" * 40, "\x00ha", "ha;q=0.5;q=0.9"],
)  # fmt: skip
def test_a_hostile_accept_language_gets_a_page_not_an_error(client, header):
    page = client.get("/privacy", headers={"Accept-Language": header})
    assert page.status_code == 200
    assert lang_of(page.get_data(as_text=True)) in LANGUAGES


def test_a_page_whose_language_was_negotiated_is_never_shared_by_caches_across_languages(client):
    """Attack (finding: no Vary on negotiated pages, low): a page kept by a shared cache
    (the shop's proxy) in one shopper's language would be served to the next, telling them
    what language someone before them reads (in Nigeria, close to which people they are
    from). Every page whose language came from the cookie or Accept-Language is either
    no-store or says it varies on both."""
    pages = ["/", "/surveys/about-you", "/privacy", "/me", "/no-such-page", "/auth/logout",
             "/auth/signed-out", "/language/xx", "/invitation.json"]  # fmt: skip
    for path in pages:
        page = client.get(path, headers={"Accept-Language": "ha"})
        if "no-store" in page.headers.get("Cache-Control", ""):
            continue
        assert {"accept-language", "cookie"} <= {v.lower() for v in page.vary}, path


def test_a_page_says_it_varies_with_the_language(client):
    for path in ["/privacy", "/no-such-page", "/surveys/about-you"]:
        vary = client.get(path).headers["Vary"]
        assert "Accept-Language" in vary and "Cookie" in vary, path


@pytest.mark.parametrize(
    "header",
    ["ha;q=abc, yo;q=0.5", "ha;q=" + "9" * 400, ";;;,,,=", "x-" * 4000, "ha-" + "é" * 50],
)
def test_a_hostile_accept_language_is_not_an_error(client, header):
    page = client.get("/privacy", headers={"Accept-Language": header})
    assert page.status_code == 200
    assert lang_of(page.get_data(as_text=True)) in LANGUAGES


def test_the_apis_labels_are_english_even_if_a_hausa_page_asked_first(make_app, tmp_path):
    """The API caches its labels once per process: built inside a shopper's Hausa request
    (through a catalogue that translates them) they are English all the same."""
    from surveys.api import views
    from tests.i18n import catalogues

    directory = catalogues.install(tmp_path, {"ha": catalogues.pseudo_catalogue("ha")})
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory))
    views._labels.cache_clear()
    with app.test_request_context("/privacy", headers={"Cookie": "lang=ha"}):
        labels = views._labels()
    assert labels["gender"]["female"] == "Female"
    assert labels["income_band"]["income_below_70k"] == "Under ₦70,000"
    views._labels.cache_clear()
