"""A hostile client's odd addresses and parameters (review of the issue 15 request path):
each one is a 4xx problem, never a 500, and no response under /api sets a cookie."""

from __future__ import annotations

import pytest

ODD_ADDRESSES = [
    "/api/nope?lang=ha",
    "/api/v1/profiles?lang=ha",
    "/api/v1/profiles?limit=0",
    "/api/v1/profiles?limit=999999999999999999999999",
    "/api/v1/profiles?limit=%EF%BC%91",  # a fullwidth digit one
    "/api/v1/profiles?after=",
    "/api/v1/profiles?after=%00",
    "/api/v1/profiles?after=%ED%A0%80",  # a lone surrogate's bytes
    "/api/v1/profiles?after=abc.def",
    "/api/v1/profiles?after=abc&after=def",
    "/api/v1/profiles/%00",
    "/api/v1/profiles/%ED%A0%80",
    "/api/v1/profiles/" + "a" * 5000,
    "/api/v1/profiles/a%2Fb",
    "/api/v1/profiles/a/b",
    "/api/v1/changes?after=-1",
    "/api/v1/changes?after=99999999999999999999999999",
    "/api",
    "/api/",
]


@pytest.mark.parametrize("address", ODD_ADDRESSES)
def test_an_odd_address_is_a_client_error_and_sets_no_cookie(api, consenting, address):
    consenting("cust-1", ["gender"])
    response = api.get(address, validate=False)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"
    assert "Set-Cookie" not in response.headers


def test_a_repeated_limit_takes_the_first_and_still_reads_only_consented_attributes(
    api, consenting
):
    consenting("cust-1", ["gender"])
    response = api.get("/api/v1/profiles?limit=1&limit=2", validate=False)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    [profile] = response.get_json()["profiles"]
    assert profile["subject"] == "cust-1" and list(profile["attributes"]) == ["gender"]
