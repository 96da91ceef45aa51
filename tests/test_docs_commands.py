"""Every command the README and docs/ tell a reader to type exists, with every option it uses:
each ``flask GROUP COMMAND --option`` (in code blocks and inline code) and each ``make TARGET``.
The README's tour is also run for real (tests/test_readme_tour.py); this is the cheap check
that covers every other page."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from flask.cli import FlaskGroup, ScriptInfo

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def commands_in(text: str, program: str) -> list[str]:
    """Each command line for ``program`` in a page: the lines of ```sh blocks (continuations
    joined) and inline `code` that start with it (after any VAR=value settings)."""
    found = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE):
        found += block.replace("\\\n", " ").splitlines()
    found += re.findall(r"`([^`\n]+)`", text)
    lines = []
    for line in found:
        words = shlex.split(line, comments=True) if line.count("'") % 2 == 0 else line.split()
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]
        if words and words[0].split("/")[-1] == program:
            lines.append(" ".join(words))
    return lines


def documented(program: str) -> list[tuple[str, str]]:
    """(page, command line), each once; ``[--optional]`` brackets dropped."""
    return list(
        dict.fromkeys(
            (page.relative_to(ROOT).as_posix(), line.replace("[", "").replace("]", ""))
            for page in PAGES
            for line in commands_in(page.read_text(encoding="utf-8"), program)
        )
    )


FLASK_LINES = documented("flask")
MAKE_LINES = documented("make")


def test_the_docs_name_commands_to_check():
    assert len(FLASK_LINES) > 20 and len(MAKE_LINES) > 5


@pytest.fixture(scope="module")
def flask_cli(tmp_path_factory):  # type: ignore[no-untyped-def]
    from surveys import create_app

    stores = tmp_path_factory.mktemp("docs")
    app = create_app(
        {"TESTING": True, "SURVEYS_ENV": "test",
         "SQLALCHEMY_BINDS": {b: f"sqlite:///{stores / b}.db" for b in ("answers", "identity")}}
    )  # fmt: skip
    group = FlaskGroup(create_app=lambda: app)
    with click.Context(group, info_name="flask", obj=ScriptInfo(create_app=lambda: app)) as context:
        yield group, context


@pytest.mark.parametrize(("page", "line"), FLASK_LINES)
def test_each_flask_command_in_the_docs_exists_with_its_options(flask_cli, page, line):
    group, context = flask_cli
    command: click.Command = group
    words = line.split()[1:]
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        found = command.get_command(context, words[0])
        if found is None:
            break
        command, words = found, words[1:]
    assert not isinstance(command, click.Group), f"{page}: `{line}` names no command"
    known = {option for param in command.params for option in param.opts}
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in known, f"{page}: `{line}`: no option {word}"


def test_each_make_target_and_variable_in_the_docs_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    for page, line in MAKE_LINES:
        for word in line.split()[1:]:
            if "=" in word:
                assert f"$({word.split('=')[0]})" in makefile, f"{page}: `{line}`"
            elif not word.startswith("-"):
                assert word in targets, f"{page}: `{line}`: no target {word}"
