"""The systemd units in deploy/systemd/ say what docs/deployment.md promises, and systemd
itself accepts them (``systemd-analyze verify``, where it is installed)."""

from __future__ import annotations

import configparser
import getpass
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from surveys.config import load_config

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
LONG_RUNNING = ["surveys@.service", "surveys-webhooks.service"]


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  (keys are case-sensitive)
    parser.read(UNITS / name)
    return parser


def test_gunicorn_runs_under_systemd_as_documented():
    service = _unit("surveys@.service")["Service"]
    assert service["Type"] == "notify"  # gunicorn's master calls sd_notify when listening
    assert service["ExecStart"].endswith("/gunicorn -c gunicorn.conf.py wsgi:app")
    assert service["Environment"] == "BIND=127.0.0.1:%i"
    assert service["EnvironmentFile"] == "/etc/surveys/surveys.env"
    assert service["Restart"] == "on-failure"
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_a_crash_or_stop_kills_the_whole_process_group_so_no_orphan_keeps_the_port(name):
    service = _unit(name)["Service"]
    assert service["KillMode"] in {"mixed", "control-group"}
    assert int(service["TimeoutStopSec"]) <= 60


@pytest.mark.parametrize("name", [*LONG_RUNNING, "surveys-retention.service"])
def test_every_unit_runs_unprivileged_and_sandboxed(name):
    service = _unit(name)["Service"]
    assert service["User"] == "surveys" and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["CapabilityBoundingSet"] == ""


def test_the_example_environment_file_starts_production_once_its_secrets_are_filled_in(tmp_path):
    env = {}
    for line in (UNITS / "surveys.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    assert set(env) >= {
        "SURVEYS_ENV", "SECRET_KEY", "SHOP_SIGNING_KEY", "LINK_ENCRYPTION_KEY",
        "ANSWERS_SEALING_KEY",
    }  # fmt: skip
    env.update(
        SECRET_KEY=secrets.token_urlsafe(48),
        SHOP_SIGNING_KEY=secrets.token_urlsafe(48),
        LINK_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ANSWERS_SEALING_KEY=Fernet.generate_key().decode(),
    )
    config = load_config(tmp_path, env)
    assert config["SURVEYS_ENV"] == "production" and config["TRUSTED_PROXIES"] == 1


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_systemd_accepts_the_units(tmp_path):
    """Paths pointed at this checkout and the user at whoever runs the tests, since verify
    checks that the programs exist; then any complaint at all fails the test."""
    (tmp_path / "surveys.env").write_text("")
    user = getpass.getuser()
    names = {"surveys@.service": "surveys@8000.service"}
    for unit in UNITS.glob("surveys*.[st]*"):
        if unit.suffix not in {".service", ".timer"}:
            continue
        text = (
            unit.read_text()
            .replace("/srv/surveys", str(ROOT))
            .replace("/etc/surveys/surveys.env", str(tmp_path / "surveys.env"))
            .replace("/etc/surveys/settle.env", str(tmp_path / "surveys.env"))
            .replace("User=surveys", f"User={user}")
            .replace("Group=surveys", f"Group={user}")
        )
        (tmp_path / names.get(unit.name, unit.name)).write_text(text)
    checked = sorted(str(path) for path in tmp_path.glob("*.service"))
    checked += sorted(str(path) for path in tmp_path.glob("*.timer"))
    result = subprocess.run(
        ["systemd-analyze", "verify", *checked], capture_output=True, text=True, cwd=tmp_path
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "Special user" not in line
    ]
    assert result.returncode == 0 and complaints == [], "\n".join(complaints)
