"""The README's five-minute tour works when pasted, as a newcomer would paste it.

``make run``'s steps (read from ``make -n run``, with a small demo) set up a fresh instance on
temporary SQLite stores; then every command of the tour's code block runs as written, in
bash, against a real server: what ``python3 -m webbrowser`` would open is fetched, ``flask``
lines run the CLI, ``export TOKEN=`` takes the token ``flask clients create`` printed, and
``curl`` is curl.
The tour's one browser step (sign in at ``/demo`` as ``demo-customer-1001``, answer a survey,
tick what to share and press "Yes") is done by submitting the pages' own forms.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess  # nosec: the commands are the README's own
import sys
import threading
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from surveys import create_app

ROOT = Path(__file__).resolve().parent.parent
README_URL = "http://127.0.0.1:5000"
#: The README runs the CLI as `.venv/bin/flask`; here, the flask beside this interpreter.
VENV_BIN = ".venv/bin/"
ABOUT_YOU = {"state": "NG-LA", "lga": "NG-LA-11", "age_band": "age_25_34", "gender": "female"}


def shell_blocks(markdown: str) -> list[list[str]]:
    """The lines of each ```sh block, comment-only and blank lines left out."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE)
    return [
        [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        for block in blocks
    ]


def tour_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = text.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    (block,) = shell_blocks(tour)
    return block


class Forms(HTMLParser):
    """Each form of a page: its action, and its fields as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attributes.get("action"), "fields": [], "buttons": [], "text": ""}
            )
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"].append(attributes)
        elif tag == "button" and self.forms and attributes.get("name"):
            self.forms[-1]["buttons"].append((attributes["name"], attributes.get("value")))

    def handle_data(self, data: str) -> None:
        if self.forms:
            self.forms[-1]["text"] += data


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def fields_of(form: dict, *, tick_all: bool = False) -> dict[str, list[str]]:
    """What a browser sends: hidden fields, and every checkbox if ``tick_all``."""
    data: dict[str, list[str]] = {}
    for field in form["fields"]:
        kind, name = field.get("type"), field.get("name")
        if name and (kind == "hidden" or (kind == "checkbox" and tick_all)):
            data.setdefault(name, []).append(field.get("value") or "")
    return data


@pytest.fixture(scope="module")
def fresh_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a new checkout's first `make run`, on stores of its own (every
    secret given, so that nothing is written to the checkout's instance/ folder). One per
    module: setting up is most of this module's time."""
    stores = tmp_path_factory.mktemp("tour")
    env = {
        "ANSWERS_DATABASE_URL": f"sqlite:///{stores / 'answers.db'}",
        "IDENTITY_DATABASE_URL": f"sqlite:///{stores / 'identity.db'}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
        "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
        "SURVEYS_ENV": "development",
    }
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in ("SHOP_URL", "TOKEN", "FLASK_APP", "DEMO"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield {**os.environ, **env}


def bash(line: str, env: dict[str, str], stdin: str = "") -> str:
    """Run one pasted line from the repository root, as a newcomer's shell would."""
    line = line.replace(VENV_BIN, f"{Path(sys.executable).parent}/")
    done = subprocess.run(  # nosec
        ["bash", "-c", line], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"`{line}` failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def served(fresh_instance: dict[str, str]) -> Iterator[tuple[str, object, str]]:
    """`make run`, with 300 demo answers instead of 20,000: its steps as make prints them,
    then the app served on a free port (instead of `flask run` on 5000)."""
    steps = bash("make -n run RESPONSES=300", fresh_instance).splitlines()
    printed = []
    for step in steps:
        if step.startswith("echo "):
            printed.append(bash(step, fresh_instance))
        elif "flask " in step and "flask run" not in step:
            bash(step, fresh_instance)
    assert any("flask run" in step for step in steps)
    os.environ["DEMO"] = "1"  # as `DEMO=1 flask run`
    try:
        app = create_app()
    finally:
        del os.environ["DEMO"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, "".join(printed)
    server.shutdown()
    server.server_close()
    thread.join()


def share_as_a_signed_in_shopper(app, subject: str) -> None:  # type: ignore[no-untyped-def]
    """The tour's browser step: /demo, sign in, answer "About you", tick all, press "Yes"."""
    browser = app.test_client()
    shop = forms_of(browser.get("/demo").get_data(as_text=True))
    (sign_in,) = [form for form in shop if f"({subject})" in form["text"]]
    signed_in = browser.post(sign_in["action"], data=fields_of(sign_in))
    assert signed_in.status_code in {302, 303}

    survey = browser.get("/surveys/about-you").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', survey).group(1)
    sent = browser.post("/surveys/about-you", data={"csrf_token": token, **ABOUT_YOU})
    thanks = browser.get(sent.headers["Location"]).get_data(as_text=True)
    (offer,) = [form for form in forms_of(thanks) if ("answer", "yes") in form["buttons"]]
    data = {**fields_of(offer, tick_all=True), "answer": ["yes"]}
    given = browser.post(offer["action"] or sent.headers["Location"], data=data)
    assert given.status_code in {200, 302, 303}, given.get_data(as_text=True)


def test_make_run_says_what_to_open_next_and_how_to_get_in(served):
    base, _app, printed = served
    for what in ("http://127.0.0.1:5000/ ", "/demo", "/dashboard", "/api/v1/profiles/"):
        assert what in printed
    assert ".venv/bin/flask staff create you@example.com --role analyst" in printed
    assert ".venv/bin/flask clients create recommender" in printed and "TOKEN" in printed
    assert "PORT=" in printed and "HOST=" in printed


def test_the_readme_tour_works_when_pasted(served, fresh_instance):
    base, app, _printed = served
    env, output, fetched = dict(fresh_instance), "", []
    for line in tour_block():
        line = line.replace(README_URL, base)
        words = shlex.split(line, comments=True)
        if words[:3] == ["python3", "-m", "webbrowser"]:
            assert words[3].startswith(f"{base}/")
            with urllib.request.urlopen(words[3]) as page:  # noqa: S310 (our own server)
                assert page.status == 200
                fetched.append(page.url)
            if words[3].endswith("/demo"):
                share_as_a_signed_in_shopper(app, "demo-customer-1001")
        elif words[0] == "export":
            name, _, placeholder = words[1].partition("=")
            assert name == "TOKEN" and placeholder.startswith("svy_")
            tokens = re.findall(r"\bsvy_[\w-]+", output)
            assert len(tokens) == 1, f"the command before printed no single token:\n{output}"
            env["TOKEN"] = tokens[0]
        elif words[0] == "curl":
            profile = json.loads(bash(line, env))
            assert profile["subject"] == "demo-customer-1001"
            assert {key: value["code"] for key, value in profile["attributes"].items()} == ABOUT_YOU
        else:
            assert words[0] == ".venv/bin/flask", (
                f"the tour has a line this test cannot run: {line}"
            )
            output = bash(line, env, stdin="a long enough pass phrase for the tour\n")
    assert [url.removeprefix(base) for url in fetched] == ["/demo", "/dashboard/login"]
