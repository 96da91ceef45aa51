"""A gunicorn master killed with SIGKILL takes its workers with it, so a supervisor can start
a new one on the same port at once (gunicorn.conf.py's post_fork; deploy/systemd/).

Before, the orphaned workers kept the listening socket for up to a worker timeout and the
new master gave up with "Address already in use". The load run (bench/load.py --faults)
does the same under load.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")


def _alive(pid: int) -> bool:
    """Running: not gone and not a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _workers(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _serves(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture
def start_gunicorn(tmp_path):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")},
        "SURVEYS_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SHOP_SIGNING_KEY": secrets.token_urlsafe(48),
        "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ANSWERS_DATABASE_URL": f"sqlite:///{tmp_path}/answers.db",
        "IDENTITY_DATABASE_URL": f"sqlite:///{tmp_path}/identity.db",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start(log: str) -> subprocess.Popen[bytes]:
        with (tmp_path / log).open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    start.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    start.logs = tmp_path  # type: ignore[attr-defined]
    start.workers = []  # type: ignore[attr-defined]
    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    for pid in start.workers:  # type: ignore[attr-defined]
        if _alive(pid):  # only if the test failed: never leave an orphan behind
            os.kill(pid, signal.SIGKILL)


def test_after_sigkill_of_the_master_its_workers_die_and_a_new_master_takes_the_port(
    start_gunicorn,
):
    first = start_gunicorn("first.log")
    _until(lambda: _serves(start_gunicorn.url), 60, "gunicorn did not start")
    _until(lambda: len(_workers(first.pid)) == 2, 30, "workers did not start")
    workers = _workers(first.pid)
    start_gunicorn.workers.extend(workers)

    first.send_signal(signal.SIGKILL)
    first.wait()
    second = start_gunicorn("second.log")  # at once, as a supervisor restarting it does
    # (Bounds generous for a loaded 2-core machine; without post_fork the workers lived
    # for ~30 s more and the new master gave up after its 5 one-second tries to bind.)
    _until(lambda: not any(_alive(pid) for pid in workers), 10, "orphaned workers live on")
    _until(lambda: _serves(start_gunicorn.url) or second.poll() is not None, 60, "no answer")
    log = (start_gunicorn.logs / "second.log").read_text()
    assert second.poll() is None, f"the new master exited:\n{log}"
    assert "Connection in use" not in log and "Address already in use" not in log
    assert _serves(start_gunicorn.url)
