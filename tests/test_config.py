"""Configuration comes from the environment and is checked when the app starts."""

import pytest
from cryptography.fernet import Fernet

from surveys.config import ConfigError, load_config


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, {"SURVEYS_ENV": "production"})


def test_development_makes_a_secret_once_and_keeps_it(tmp_path):
    first = load_config(tmp_path, {})["SECRET_KEY"]
    assert len(first) >= 48
    assert load_config(tmp_path, {})["SECRET_KEY"] == first
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_store_urls_default_to_two_sqlite_files_under_instance(tmp_path):
    binds = load_config(tmp_path, {})["SQLALCHEMY_BINDS"]
    assert binds == {
        "answers": f"sqlite:///{tmp_path}/answers.db",
        "identity": f"sqlite:///{tmp_path}/identity.db",
    }


def test_store_urls_come_from_the_environment(tmp_path):
    env = {
        "ANSWERS_DATABASE_URL": "postgresql+psycopg://db/answers",
        "IDENTITY_DATABASE_URL": "postgresql+psycopg://db/identity",
    }
    binds = load_config(tmp_path, env)["SQLALCHEMY_BINDS"]
    assert binds == {
        "answers": env["ANSWERS_DATABASE_URL"],
        "identity": env["IDENTITY_DATABASE_URL"],
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NOT_NOW_DAYS": "soon"}, "NOT_NOW_DAYS must be a whole number"),
        ({"NOT_NOW_DAYS": "0"}, "NOT_NOW_DAYS must be at least 1"),
        ({"SURVEYS_ENV": "staging"}, "SURVEYS_ENV must be"),
    ],
)
def test_bad_settings_stop_the_app_with_a_message_naming_them(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env)


PRODUCTION = {
    "SURVEYS_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "SHOP_SIGNING_KEY": "k" * 40,
    "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
}


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "SHOP_SIGNING_KEY", "LINK_ENCRYPTION_KEY", "ANSWERS_SEALING_KEY"]
)
def test_production_refuses_to_start_without_each_secret(tmp_path, missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    with pytest.raises(ConfigError, match=missing):
        load_config(tmp_path, env)
    assert not any(tmp_path.iterdir()), "no development secret may be made in production"


def test_production_cookies_are_secure_and_demo_is_off(tmp_path):
    config = load_config(tmp_path, {**PRODUCTION, "DEMO": "1"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["DEMO"] is False


@pytest.mark.parametrize("weak", ["short-secret", "x" * 31])
def test_production_refuses_a_short_or_placeholder_secret_key(tmp_path, weak):
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_config(tmp_path, {**PRODUCTION, "SECRET_KEY": weak})
