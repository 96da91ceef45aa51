"""Configuration from the environment, checked when the app starts.

Every setting has one name, read once here. In production (``SURVEYS_ENV=production``) a
missing secret stops the app with a message naming it; in development a random secret is
made once and kept under ``instance/`` so that cookies survive a restart.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from surveys import secret_strength


class ConfigError(RuntimeError):
    """The environment does not describe a service that can safely start."""


#: Settings that must be given explicitly in production.
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "SHOP_SIGNING_KEY",
    "LINK_ENCRYPTION_KEY",
    "ANSWERS_SEALING_KEY",
)
#: Secrets that must differ from each other in production: one key in two roles means one
#: leak opens both (a leaked shop signing key would also forge cookies and CSRF tokens).
DISTINCT_SECRETS = REQUIRED_IN_PRODUCTION
#: Secrets made of text, checked for guessability in production; Fernet keys are checked
#: as bytes instead (see check_link_keys and check_sealing_keys).
TEXT_SECRETS = ("SECRET_KEY", "SHOP_SIGNING_KEY")
RANDOM_TEXT_COMMAND = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
FERNET_KEY_COMMAND = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


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


#: Each profile API client's budget. One limit, so that counting a request is one round trip
#: to the limits storage (Redis): ``limits`` runs one script per limit, and the per-second
#: limit this had beside it (1000 a second) cost a second round trip on every request while
#: never binding on a deployment that serves fewer reads a second than that.
DEFAULT_API_RATE_LIMIT = "600000 per hour"
#: Neutral until the shop says otherwise: the pages' own blue.
DEFAULT_BRAND_COLOUR = "#0b5394"
#: White text on the brand colour, and the brand colour as link text on white, must both be
#: readable (WCAG 2 AA for normal text).
MIN_BRAND_CONTRAST = 4.5
#: Logo files the stylesheet may show, by suffix, and the largest accepted.
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp"}
MAX_LOGO_BYTES = 20 * 1024


def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of ``#rrggbb`` against white."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)


def check_brand_colour(value: str) -> str:
    """``#rrggbb`` (lower case), dark enough to carry white text; else a ConfigError."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ConfigError(f"SHOP_BRAND_COLOUR must be a colour written #rrggbb, not {value!r}")
    ratio = contrast_with_white(value)
    if ratio < MIN_BRAND_CONTRAST:
        raise ConfigError(
            f"SHOP_BRAND_COLOUR {value} is too light: white text on it has a contrast of "
            f"{ratio:.1f}:1, and at least {MIN_BRAND_CONTRAST}:1 is needed; use a darker shade"
        )
    return value.lower()


def check_shop_logo(value: str) -> str:
    """The logo file's path if it is a readable .svg, .png or .webp of at most 20 KB."""
    if not value:
        return ""
    path = Path(value)
    if path.suffix.lower() not in LOGO_TYPES:
        raise ConfigError("SHOP_LOGO must be an .svg, .png or .webp file, not " + repr(value))
    if not path.is_file():
        raise ConfigError(f"SHOP_LOGO {value!r} is not a file")
    if path.stat().st_size > MAX_LOGO_BYTES:
        raise ConfigError(f"SHOP_LOGO must be at most {MAX_LOGO_BYTES // 1024} KB")
    return str(path.resolve())


def _sqlite_url(instance_path: Path, name: str) -> str:
    return f"sqlite:///{instance_path / name}"


def _dev_secret(
    instance_path: Path, name: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)
) -> str:
    """A development-only secret, made once and kept in the instance folder."""
    path = instance_path / f"dev-{name.lower().replace('_', '-')}"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = make()
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
    shop_signing_key = env.get("SHOP_SIGNING_KEY") or _dev_secret(instance_path, "SHOP_SIGNING_KEY")
    # HS256 with a shorter key can be brute-forced offline from one captured token.
    if len(shop_signing_key.encode()) < 32:
        raise ConfigError("SHOP_SIGNING_KEY must be at least 32 bytes long")
    link_keys = env.get("LINK_ENCRYPTION_KEY") or _dev_secret(
        instance_path, "LINK_ENCRYPTION_KEY", lambda: Fernet.generate_key().decode()
    )
    check_link_keys(link_keys, production=production)
    sealing_keys = env.get("ANSWERS_SEALING_KEY") or _dev_secret(
        instance_path, "ANSWERS_SEALING_KEY", lambda: Fernet.generate_key().decode()
    )
    check_sealing_keys(sealing_keys, production=production)
    if production:
        check_production_secrets(env)
    shop_url = env.get("SHOP_URL", "")
    # Shown as a link to shoppers: only a web address, never e.g. a javascript: URL.
    if shop_url and not re.fullmatch(r"https?://[^\s\"'<>]+", shop_url):
        raise ConfigError(
            "SHOP_URL must be an http:// or https:// address, such as https://shop.ng/"
        )

    shop_name = env.get("SHOP_NAME", "").strip()
    if len(shop_name) > 60 or any(not c.isprintable() for c in shop_name):
        raise ConfigError("SHOP_NAME must be at most 60 printable characters")
    brand_colour = check_brand_colour(env.get("SHOP_BRAND_COLOUR") or DEFAULT_BRAND_COLOUR)
    shop_logo = check_shop_logo(env.get("SHOP_LOGO", ""))

    answers_url = env.get("ANSWERS_DATABASE_URL") or _sqlite_url(instance_path, "answers.db")
    identity_url = env.get("IDENTITY_DATABASE_URL") or _sqlite_url(instance_path, "identity.db")
    binds = {"answers": answers_url, "identity": identity_url}
    # Optional: the dashboard reads the answers store through this (e.g. a streaming replica)
    # so that heavy reporting never slows shoppers down. No model is bound to it.
    if answers_read_url := env.get("ANSWERS_READ_DATABASE_URL"):
        binds["answers_read"] = answers_read_url

    return {
        "SURVEYS_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY") or _dev_secret(instance_path, "SECRET_KEY"),
        "SQLALCHEMY_BINDS": binds,
        # Connections are tested before use only after sitting idle (see extensions.py), and
        # renewed now and then so that no proxy or firewall idle timeout cuts them first.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
        # A survey submission is a few hundred bytes; anything near this is not a shopper.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 16 * 1024, minimum=1024),
        # How long "Not now" keeps a survey from being offered again to the same browser.
        "NOT_NOW_DAYS": _int(env, "NOT_NOW_DAYS", 30, minimum=1),
        # The invitation snippet invites one browser at most once in this many days.
        "INVITE_EVERY_DAYS": _int(env, "INVITE_EVERY_DAYS", 7, minimum=1),
        # The respondent cookie must outlive "Not now" or the shopper would be asked again.
        "RESPONDENT_COOKIE_DAYS": _int(env, "RESPONDENT_COOKIE_DAYS", 400, minimum=1),
        # Cookies are Secure when served over HTTPS (always, in production).
        "SESSION_COOKIE_SECURE": production or env.get("COOKIE_SECURE") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # A form left open for longer than this must be reloaded; long enough for a slow phone.
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Instances that share one Redis share their counters under this prefix.
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "surveys"),
        # Per client address; generous for a shared phone or office, tight for a script.
        "SUBMIT_RATE_LIMIT": env.get("SUBMIT_RATE_LIMIT", "20 per minute; 300 per day"),
        # How many reverse proxies set X-Forwarded-For/-Proto in front of the app (0: none).
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # No X-RateLimit-* headers: on every response they cost the storage (Redis) a second
        # round trip, about 30 % of an API read. A 429 still says Retry-After (security.py).
        "RATELIMIT_HEADERS_ENABLED": False,
        "DEMO": env.get("DEMO") == "1" and not production,
        # Where "Back to the shop" leads after a survey; unset, the survey list (or /demo).
        "SHOP_URL": shop_url,
        # The shop's look (docs/invitation.md): its name in the page header and the invitation,
        # its colour for buttons and links, and an optional logo file; all through /shop.css.
        "SHOP_NAME": shop_name,
        "SHOP_BRAND_COLOUR": brand_colour,
        "SHOP_LOGO": shop_logo,
        # The shop's shared secret for signed hand-off tokens (HS256).
        "SHOP_SIGNING_KEY": shop_signing_key,
        # Fernet key(s) for the respondent key in consent links; comma-separated to rotate:
        # the first encrypts, all decrypt.
        "LINK_ENCRYPTION_KEY": link_keys,
        # Key(s) sealing the answers journal until the nightly settle (same format and
        # rotation as LINK_ENCRYPTION_KEY; keep an old key until a settle has run).
        "ANSWERS_SEALING_KEY": sealing_keys,
        # A signed-in session ends this long after the shop handed the shopper over.
        "SHOPPER_SESSION_HOURS": _int(env, "SHOPPER_SESSION_HOURS", 12, minimum=1),
        # The nightly `flask answers settle` deletes anonymous answers not changed for this long.
        "ANSWER_RETENTION_DAYS": _int(env, "ANSWER_RETENTION_DAYS", 730, minimum=1),
        # ... and profile reads logged longer ago than this (the API logs one per read, so
        # the log would otherwise grow without end; shoppers see this much history on /me).
        "PROFILE_READ_RETENTION_DAYS": _int(env, "PROFILE_READ_RETENTION_DAYS", 180, minimum=1),
        # ... and webhook deliveries whose retries ran out longer ago than this.
        "FAILED_WEBHOOK_RETENTION_DAYS": _int(env, "FAILED_WEBHOOK_RETENTION_DAYS", 30, minimum=1),
        # How long backups are kept (docs/deployment.md): the privacy page tells shoppers
        # that deleted answers leave the backups within this many days.
        "BACKUP_RETENTION_DAYS": _int(env, "BACKUP_RETENTION_DAYS", 35, minimum=1),
        # Who the consent receipts name as controller, and how to reach them.
        "CONSENT_CONTROLLER": env.get("CONSENT_CONTROLLER", "The shop"),
        "CONSENT_CONTROLLER_CONTACT": env.get("CONSENT_CONTROLLER_CONTACT", ""),
        # Profile API: per client (counted in RATELIMIT_STORAGE_URI; use Redis so that all
        # workers share one count). Generous: the recommender calls it on hot paths.
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", DEFAULT_API_RATE_LIMIT),
        # Webhook outbox: a receiver that is down is retried with exponential backoff
        # (base, doubling per attempt, at most an hour apart) until the attempts run out.
        "WEBHOOK_TIMEOUT_SECONDS": _int(env, "WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1),
        "WEBHOOK_BACKOFF_SECONDS": _int(env, "WEBHOOK_BACKOFF_SECONDS", 5, minimum=0),
        "WEBHOOK_MAX_ATTEMPTS": _int(env, "WEBHOOK_MAX_ATTEMPTS", 15, minimum=1),
        # The dashboard hides every count built on fewer than this many respondents.
        "DASHBOARD_MIN_CELL": _int(env, "DASHBOARD_MIN_CELL", 10, minimum=2),
        # The dashboard's privacy budget, in zero-concentrated DP (see docs/dashboard.md): per
        # response per survey-week, per funnel event, and per shopper per week of consent
        # choices. Smaller is noisier and safer; it applies to weeks released from then on.
        "DASHBOARD_RHO": _float(env, "DASHBOARD_RHO", 0.5, minimum=0.001),
        "DASHBOARD_EVENT_RHO": _float(env, "DASHBOARD_EVENT_RHO", 0.5, minimum=0.001),
        "DASHBOARD_CONSENT_RHO": _float(env, "DASHBOARD_CONSENT_RHO", 0.5, minimum=0.001),
        # A staff sign-in lasts this long, however active.
        "STAFF_SESSION_HOURS": _int(env, "STAFF_SESSION_HOURS", 12, minimum=1),
        # A sliding window (the weighted count of this window and the last): no burst at the
        # turn of the minute, as a fixed window allows, and two counters per key where a
        # moving window keeps one timestamp per request (600,000 an hour for an API client).
        # It estimates: requests bunched at the end of one window and the start of the next
        # can get up to twice a limit into one trailing window (the hourly limits still cap
        # sign-in guessing at 50 an hour).
        "RATELIMIT_STRATEGY": "sliding-window-counter",
    }


def check_production_secrets(env: Mapping[str, str]) -> None:
    """Refuse placeholders and reused keys; the message says how to make a good one.

    The values themselves never appear in a message: it may end up in a log.
    """
    for name in TEXT_SECRETS:
        value = env[name]
        if len(value) < 32:
            raise ConfigError(
                f"{name} must be a random value of at least 32 characters, not a placeholder "
                f"(make one with: {RANDOM_TEXT_COMMAND})"
            )
        bits = secret_strength.estimated_bits(value)
        if bits < secret_strength.MIN_BITS:
            raise ConfigError(
                f"{name} looks like a placeholder or a phrase: about {bits:.0f} bits of "
                f"randomness where {secret_strength.MIN_BITS} are needed. Make a random one "
                f"with: {RANDOM_TEXT_COMMAND}"
            )
    given = [(name, env[name]) for name in DISTINCT_SECRETS if env.get(name)]
    seen: dict[str, str] = {}
    for name, value in given:
        for part in [value, *(part.strip() for part in value.split(","))]:
            first = seen.setdefault(part, name)
            if first != name:
                command = RANDOM_TEXT_COMMAND if name in TEXT_SECRETS else FERNET_KEY_COMMAND
                raise ConfigError(
                    f"{name} reuses the value of {first}: every secret must be made on its "
                    f"own, so that one leaked key opens nothing else (make one with: {command})"
                )


def check_link_keys(value: str, *, production: bool = False) -> None:
    """Every comma-separated part must be a Fernet key, or the app does not start; in
    production each must also be made of random bytes."""
    parts = [part.strip() for part in value.split(",")]
    for part in parts:
        try:
            Fernet(part)
        except (ValueError, TypeError):
            raise ConfigError(
                "LINK_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
                f"(make one with: {FERNET_KEY_COMMAND})"
            ) from None
        weakness = secret_strength.fernet_key_weakness(part) if production else None
        if weakness:
            raise ConfigError(
                f"LINK_ENCRYPTION_KEY is not a random key: {weakness}. Make one with: "
                f"{FERNET_KEY_COMMAND}"
            )


def check_sealing_keys(value: str, *, production: bool = False) -> None:
    """Same shape as LINK_ENCRYPTION_KEY; a separate key, so neither opens the other's data.
    In production each part must also be made of random bytes."""
    from surveys.services.answers.sealing import SealingKeyError, parse_keys

    try:
        parse_keys(value)
    except SealingKeyError as error:
        raise ConfigError(str(error)) from None
    for part in (part.strip() for part in value.split(",")):
        weakness = secret_strength.fernet_key_weakness(part) if production else None
        if weakness:
            raise ConfigError(
                f"ANSWERS_SEALING_KEY is not a random key: {weakness}. Make one with: "
                f"{FERNET_KEY_COMMAND}"
            )
