"""The consent settings are checked when the app starts: no default secret in production."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet

from surveys.config import ConfigError, load_config

PRODUCTION = {
    "SURVEYS_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(32),
    "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
    "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
}


def test_production_starts_with_every_key_given(tmp_path):
    config = load_config(tmp_path, PRODUCTION)
    assert config["SHOP_SIGNING_KEY"] == PRODUCTION["SHOP_SIGNING_KEY"]
    assert config["ANSWER_RETENTION_DAYS"] == 730
    assert config["DEMO"] is False
    assert list(tmp_path.iterdir()) == []  # no secret was made up


@pytest.mark.parametrize("missing", ["SHOP_SIGNING_KEY", "LINK_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_a_consent_key(tmp_path, missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    with pytest.raises(ConfigError, match=missing):
        load_config(tmp_path, env)


def test_a_link_key_that_is_not_a_fernet_key_stops_the_app(tmp_path):
    with pytest.raises(ConfigError, match="Fernet"):
        load_config(tmp_path, {**PRODUCTION, "LINK_ENCRYPTION_KEY": "not-a-key"})


def test_a_short_shop_signing_key_stops_the_app(tmp_path):
    with pytest.raises(ConfigError, match="32 bytes"):
        load_config(tmp_path, {**PRODUCTION, "SHOP_SIGNING_KEY": "short"})


def test_development_makes_working_keys_once_and_keeps_them(tmp_path):
    first = load_config(tmp_path, {})
    second = load_config(tmp_path, {})
    Fernet(first["LINK_ENCRYPTION_KEY"])  # a usable key
    assert first["LINK_ENCRYPTION_KEY"] == second["LINK_ENCRYPTION_KEY"]
    assert first["SHOP_SIGNING_KEY"] == second["SHOP_SIGNING_KEY"]


def test_demo_is_never_on_in_production(tmp_path):
    assert load_config(tmp_path, {**PRODUCTION, "DEMO": "1"})["DEMO"] is False
