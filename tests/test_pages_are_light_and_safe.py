"""Pages are light enough for a cheap phone on a slow network, and locked down by headers."""

import re

import pytest

BUDGET_BYTES = 20 * 1024


def _size(client, url):
    with client.get(url) as response:
        assert response.status_code == 200, url
        return len(response.get_data())


def _assets(page_text):
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page_text)
    scripts = re.findall(r'<script src="([^"]+)"', page_text)
    return styles + scripts


@pytest.mark.parametrize("slug", ["about-you", "where-you-shop"])
def test_a_survey_page_with_its_css_js_and_lga_list_is_under_20_kb(client, slug):
    page = client.get(f"/surveys/{slug}")
    assets = _assets(page.get_data(as_text=True))
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    sizes = {url: _size(client, url) for url in assets}
    sizes["/lgas.json"] = _size(client, "/lgas.json")  # fetched by survey.js
    total = len(page.data) + sum(sizes.values())
    assert total < BUDGET_BYTES, f"{total} bytes: page {len(page.data)}, {sizes}"


def test_pages_use_no_css_or_js_framework_and_nothing_from_other_sites(client):
    text = client.get("/surveys/about-you").get_data(as_text=True)
    assert all(url.startswith("/static/") or url == "/shop.css" for url in _assets(text))
    assert "http://" not in text and "https://" not in text
    assert "<style" not in text and " style=" not in text and "<script>" not in text


def test_every_response_carries_the_security_headers(client):
    for path in ["/", "/surveys/about-you", "/privacy", "/no-such-page", "/lgas.json"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert headers["Referrer-Policy"] == "same-origin"  # no Referer to other sites
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "geolocation=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP in tests


def test_hsts_is_sent_over_https(client):
    headers = client.get("/", base_url="https://shop.example").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_lga_list_is_cacheable_and_revalidates_with_an_etag(client):
    first = client.get("/lgas.json")
    assert first.headers["Cache-Control"] == "public, max-age=86400"
    again = client.get("/lgas.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
