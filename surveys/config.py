"""Configuration from the environment, checked when the app starts.

Every setting has one name, read once here. In production (``SURVEYS_ENV=production``) a
missing secret stops the app with a message naming it; in development a random secret is
made once and kept under ``instance/`` so that cookies survive a restart.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """The environment does not describe a service that can safely start."""


#: Settings that must be given explicitly in production.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY",)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if not value >= minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _sqlite_url(instance_path: Path, name: str) -> str:
    return f"sqlite:///{instance_path / name}"


def _dev_secret(instance_path: Path, name: str) -> str:
    """A development-only secret, made once and kept in the instance folder."""
    path = instance_path / f"dev-{name.lower().replace('_', '-')}"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def load_config(instance_path: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    environment = env.get("SURVEYS_ENV", "development")
    if environment not in {"development", "production", "test"}:
        raise ConfigError(
            f"SURVEYS_ENV must be development, production or test, not {environment!r}"
        )
    production = environment == "production"

    missing = [name for name in REQUIRED_IN_PRODUCTION if production and not env.get(name)]
    if missing:
        raise ConfigError(
            "In production these settings must be set in the environment: " + ", ".join(missing)
        )

    answers_url = env.get("ANSWERS_DATABASE_URL") or _sqlite_url(instance_path, "answers.db")
    identity_url = env.get("IDENTITY_DATABASE_URL") or _sqlite_url(instance_path, "identity.db")

    return {
        "SURVEYS_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY") or _dev_secret(instance_path, "SECRET_KEY"),
        "SQLALCHEMY_BINDS": {"answers": answers_url, "identity": identity_url},
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # A survey submission is a few hundred bytes; anything near this is not a shopper.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 16 * 1024, minimum=1024),
        # How long "Not now" keeps a survey from being offered again to the same browser.
        "NOT_NOW_DAYS": _int(env, "NOT_NOW_DAYS", 30, minimum=1),
        # The respondent cookie must outlive "Not now" or the shopper would be asked again.
        "RESPONDENT_COOKIE_DAYS": _int(env, "RESPONDENT_COOKIE_DAYS", 400, minimum=1),
        # Cookies are Secure when served over HTTPS (always, in production).
        "SESSION_COOKIE_SECURE": production or env.get("COOKIE_SECURE") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # A form left open for longer than this must be reloaded; long enough for a slow phone.
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "DEMO": env.get("DEMO") == "1" and not production,
        # The dashboard hides every count built on fewer than this many respondents.
        "DASHBOARD_MIN_CELL": _int(env, "DASHBOARD_MIN_CELL", 10, minimum=2),
        # Noise of the cell-key perturbation: smaller is noisier and safer (see README).
        "DASHBOARD_NOISE_EPSILON": _float(env, "DASHBOARD_NOISE_EPSILON", 0.5, minimum=0.01),
        # A staff sign-in lasts this long, however active.
        "STAFF_SESSION_HOURS": _int(env, "STAFF_SESSION_HOURS", 12, minimum=1),
        # Failed sign-ins are counted in a moving window, not reset on the minute.
        "RATELIMIT_STRATEGY": "moving-window",
    }
