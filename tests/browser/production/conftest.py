"""Production as deployed, driven by Chromium over HTTPS.

gunicorn runs ``wsgi:app`` with ``SURVEYS_ENV=production`` and the repository's
gunicorn.conf.py, on one pair of stores (PostgreSQL when TEST_DATABASE_URL is set, else two
SQLite files) migrated with ``flask db upgrade``, with rate limits in a Redis of the
session's own. TLS is ended two ways, each a ``site`` every test runs against:

- ``gunicorn-tls``: by gunicorn itself (TLS_CERTFILE, TLS_KEYFILE);
- ``proxy-tls``: by a reverse proxy (tls_proxy.py) in front of plain-HTTP gunicorn, with
  TRUSTED_PROXIES=1 and X-Forwarded-Proto/-Host/-For.

Both start once per session. The certificate is self-signed, made here with cryptography;
Chromium accepts it (``ignore_https_errors``), Python clients trust it as their own CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser.production.tls_proxy import TlsProxy
from tests.conftest import TEST_DATABASE_PREFIX, TEST_DATABASE_URL, _database_url
from tests.redis_server import REDIS_SERVER, RedisServer, free_port

ROOT = Path(__file__).resolve().parents[3]
STAFF_EMAIL = "pm@example.com"
STAFF_PASSWORD = "a long enough pass phrase for the dashboard"
#: The address the proxy says the browser has (a documentation range; all traffic is local).
CLIENT_ADDRESS = "203.0.113.77"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "surveys test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Site:
    """One way of serving production over HTTPS."""

    name: str
    url: str
    log: Path
    env: dict[str, str]
    certificate: Path
    process: subprocess.Popen[bytes]
    #: Values the tests saw (cookies, subjects) that must never reach the log.
    secrets_seen: list[str] = field(default_factory=list)

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))

    def request(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        call = urllib.request.Request(f"{self.url}{path}", method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(call, context=self.tls(), timeout=10) as answer:  # noqa: S310
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


def _stores(folder: Path) -> dict[str, str]:
    if not TEST_DATABASE_URL:
        return {bind: f"sqlite:///{folder / bind}.db" for bind in ("answers", "identity")}
    import psycopg

    admin = _database_url(TEST_DATABASE_URL, "test", "postgresql")
    names = {bind: f"{TEST_DATABASE_PREFIX}_production_{bind}" for bind in ("answers", "identity")}
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    return {bind: _database_url(TEST_DATABASE_URL, name) for bind, name in names.items()}


def _deploy(binds: dict[str, str]) -> None:
    """What a deploy does before serving: migrate, load the surveys, make a staff account.
    (In this process, to save the suite three app start-ups; ``flask db upgrade`` is the
    same call.)"""
    from flask_migrate import upgrade

    from surveys import clock, create_app
    from surveys.api import connections
    from surveys.extensions import db
    from surveys.services import catalogue, staff

    app = create_app({"SQLALCHEMY_BINDS": binds, "SURVEYS_ENV": "production"})
    with app.app_context():
        upgrade()
        catalogue.load_defaults(db.session)
        staff.create(db.session, STAFF_EMAIL, "analyst", STAFF_PASSWORD, clock.now())
        db.session.commit()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    connections.dispose_engines(app)


def _gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_ready(site: Site) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert site.process.poll() is None, f"{site.name} exited:\n{site.log.read_text()}"
        try:
            if site.request("GET", "/readyz")[0] == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        assert time.monotonic() < deadline, f"{site.name} did not become ready"
        time.sleep(0.2)


@pytest.fixture(scope="session")
def production_sites(tmp_path_factory) -> Iterator[dict[str, Site]]:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("production")
    cert, key = make_certificate(folder)
    redis = None
    if REDIS_SERVER:
        redis = RedisServer(folder)
        redis.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")},
        "SURVEYS_ENV": "production",
        # Made as docs/deployment.md says: production refuses placeholders and reused keys.
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SHOP_SIGNING_KEY": secrets.token_urlsafe(48),
        "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
        "RATELIMIT_STORAGE_URI": redis.url if redis else "memory://",
        "RATELIMIT_KEY_PREFIX": f"production-{secrets.token_hex(4)}",
        "WEB_CONCURRENCY": "2",
    }
    binds = _stores(folder)
    env.update({f"{bind.upper()}_DATABASE_URL": url for bind, url in binds.items()})
    _deploy(binds)

    tls_port, plain_port = free_port(), free_port()
    tls_env = {**env, "BIND": f"127.0.0.1:{tls_port}", "TLS_CERTFILE": str(cert)}
    tls_env["TLS_KEYFILE"] = str(key)
    plain_env = {**env, "BIND": f"127.0.0.1:{plain_port}", "TRUSTED_PROXIES": "1"}
    direct = _gunicorn(tls_env, folder / "gunicorn-tls.log")
    behind = _gunicorn(plain_env, folder / "gunicorn-behind-proxy.log")
    proxy = TlsProxy(("127.0.0.1", plain_port), cert, key, CLIENT_ADDRESS)
    sites = {
        "gunicorn-tls": Site(
            "gunicorn-tls",
            f"https://127.0.0.1:{tls_port}",
            folder / "gunicorn-tls.log",
            tls_env,
            cert,
            direct,
        ),
        "proxy-tls": Site(
            "proxy-tls", proxy.url, folder / "gunicorn-behind-proxy.log", plain_env, cert, behind
        ),
    }
    try:
        with proxy:
            for site in sites.values():
                _wait_ready(site)
            yield sites
    finally:
        for process in (direct, behind):
            process.send_signal(signal.SIGTERM)
        for process in (direct, behind):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if redis:
            redis.stop()


@pytest.fixture(params=["gunicorn-tls", "proxy-tls"])
def site(request: pytest.FixtureRequest, production_sites: dict[str, Site]) -> Site:
    return production_sites[request.param]


@pytest.fixture
def https_page(browser, site):  # type: ignore[no-untyped-def]
    """A new visitor's page (its own cookies) on ``site``, on a small phone's screen."""
    context = browser.new_context(
        base_url=site.url, ignore_https_errors=True, viewport={"width": 360, "height": 640}
    )
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on(
        "console",
        lambda message: message.type == "error" and page.problems.append(message.text),
    )
    yield page
    site.secrets_seen.extend(cookie["value"] for cookie in context.cookies())
    context.close()
