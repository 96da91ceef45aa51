"""Scale-out: two gunicorn instances on two ports share one PostgreSQL and one Redis.

A mixed load of shoppers (anonymous and signed in) is spread across both instances at once.
Afterwards every accepted answer is in the store exactly once, a consent given through one
instance is seen by the other on the very next request, and rate limits are counted together.
Each simulated shopper comes from its own address, told to the app through X-Forwarded-For
(TRUSTED_PROXIES=1), as a load balancer would.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from surveys.services import shop_tokens
from tests.conftest import TEST_DATABASE_URL, wait_for_a_fresh_rate_window

requests = pytest.importorskip("requests")
redis = pytest.importorskip("redis")

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SHOPPERS = 40
SIGNED_IN = 12

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only: set TEST_DATABASE_URL (and run Redis) to run"
)


@pytest.fixture
def database_binds(postgres_binds):
    return postgres_binds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def instances(empty_app, database_binds, tmp_path):
    """Migrated stores, then two gunicorn instances sharing them and one Redis."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"no Redis at {REDIS_URL}")
    env = {
        **os.environ,
        "SURVEYS_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
        "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        # Both instances seal the journal with the same key: each reads the other's entries.
        "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
        "ANSWERS_DATABASE_URL": database_binds["answers"],
        "IDENTITY_DATABASE_URL": database_binds["identity"],
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"scaleout-{secrets.token_hex(4)}",
        "SUBMIT_RATE_LIMIT": "6 per minute",
        "TRUSTED_PROXIES": "1",
        "WEB_CONCURRENCY": "2",
    }
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["surveys", "load-defaults"]):
        subprocess.run([*flask, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    processes, urls, logs, handles = [], [], [], []
    for number in range(2):
        port = _free_port()
        logs.append(tmp_path / f"instance-{number}.log")
        handles.append(logs[-1].open("w"))
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                env={**env, "BIND": f"127.0.0.1:{port}"},
                cwd=ROOT,
                stdout=handles[-1],
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    for url in urls:
        while True:
            try:
                if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.monotonic() < deadline, f"{url} did not become ready"
            time.sleep(0.2)
    yield urls, env, logs
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=20)
    for handle in handles:
        handle.close()


class Browser:
    """One shopper's browser, talking to whichever instance the balancer picks."""

    def __init__(self, address: str):
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address

    def csrf(self, url: str) -> str:
        page = self.session.get(url, timeout=10)
        assert page.status_code == 200, (url, page.status_code)
        return CSRF.search(page.text).group(1)

    def answer(self, base: str, answers: dict[str, str]) -> int:
        token = self.csrf(f"{base}/surveys/about-you")
        response = self.session.post(
            f"{base}/surveys/about-you",
            data={"csrf_token": token, **answers},
            allow_redirects=False,
            timeout=10,
        )
        return response.status_code


def _signed_in(address: str, base: str, signing_key: str, subject: str) -> Browser:
    browser = Browser(address)
    token = shop_tokens.sign(signing_key, subject, uuid.uuid4().hex, datetime.now(UTC))
    response = browser.session.get(
        f"{base}/auth/shop", params={"token": token, "next": "/me"}, timeout=10
    )
    assert response.status_code == 200 and "signin" in browser.session.cookies
    return browser


def _shopper(index: int, urls: list[str], env: dict[str, str]) -> dict:
    """Answer on one instance; signed-in shoppers consent on the other and check the first."""
    first, other = urls[index % 2], urls[(index + 1) % 2]
    address = f"198.51.100.{index + 1}"  # documentation range: a header value, never a peer
    state = ["NG-LA", "NG-KN", "NG-OY", "NG-RI"][index % 4]
    if index >= SIGNED_IN:
        return {"accepted": Browser(address).answer(first, {"state": state}) == 303}
    subject = f"customer-{index}-{secrets.token_hex(3)}"
    browser = _signed_in(address, first, env["SHOP_SIGNING_KEY"], subject)
    accepted = browser.answer(first, {"state": state, "gender": "female"}) == 303
    token = browser.csrf(f"{other}/me")
    given = browser.session.post(
        f"{other}/me/consent",
        data={"csrf_token": token, "answer": "yes", "context": "account", "attributes": ["state"]},
        timeout=10,
    )
    seen_on_first = "Withdraw" in browser.session.get(f"{first}/me", timeout=10).text
    token = browser.csrf(f"{first}/me")
    browser.session.post(
        f"{first}/me/consent/withdraw", data={"csrf_token": token, "answers": "keep"}, timeout=10
    )
    withdrawal_seen_on_other = (
        "Nothing is linked" in browser.session.get(f"{other}/me", timeout=10).text
    )
    return {
        "subject": subject,
        "cookies": [cookie.value for cookie in browser.session.cookies],
        "accepted": accepted,
        "consent_ok": given.status_code == 200,
        "seen_on_first": seen_on_first,
        "withdrawal_seen_on_other": withdrawal_seen_on_other,
    }


def test_two_instances_lose_nothing_see_consent_at_once_and_share_rate_limits(
    instances, database_binds
):
    urls, env, logs = instances
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: _shopper(i, urls, env), range(SHOPPERS)))

    accepted = sum(result["accepted"] for result in results)
    assert accepted == SHOPPERS
    # The answers are sealed journal entries until the nightly settle writes them out.
    settled = subprocess.run(
        [sys.executable, "-m", "flask", "answers", "settle", "--include-today"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert settled.returncode == 0, settled.stderr
    engine = create_engine(database_binds["answers"])
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT count(*), count(DISTINCT respondent_hash) FROM responses")
        ).one()
    engine.dispose()
    assert tuple(stored) == (accepted, accepted), "an accepted answer was lost or duplicated"

    signed_in = [result for result in results if "consent_ok" in result]
    assert len(signed_in) == SIGNED_IN
    assert all(result["consent_ok"] for result in signed_in)
    assert all(result["seen_on_first"] for result in signed_in), (
        "consent not seen by the other instance"
    )
    assert all(result["withdrawal_seen_on_other"] for result in signed_in)

    # One client, alternating instances: 6 writes a minute in all, not 6 per instance.
    abuser = Browser("203.0.113.7")
    wait_for_a_fresh_rate_window()
    statuses = [abuser.answer(urls[n % 2], {"state": "NG-LA"}) for n in range(8)]
    assert statuses == [303] * 6 + [429, 429]

    # The logs of the whole run name no shopper, address, cookie or secret.
    logged = "\n".join(log.read_text() for log in logs)
    assert '"path": "/surveys/<slug>"' in logged and '"status": 429' in logged
    forbidden = [
        "198.51.100.",
        "203.0.113.7",
        env["SHOP_SIGNING_KEY"],
        env["SECRET_KEY"],
        "customer-",
    ]
    for result in signed_in:
        forbidden += [result["subject"], *result["cookies"]]
    for value in forbidden:
        assert value not in logged, f"{value!r} reached the logs"
