"""Probes for orchestrators: /healthz (the process is alive) and /readyz (it can serve)."""

from __future__ import annotations

from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from surveys.extensions import csrf, db

bp = Blueprint("health", __name__)
csrf.exempt(bp)

BINDS = ("answers", "identity")


@cache
def migration_heads(migrations_directory: str) -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", migrations_directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _store_problem(bind: str, heads: frozenset[str]) -> str | None:
    try:
        with db.engines[bind].connect() as connection:
            versions = {
                row[0]
                for row in connection.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:
        return "unreachable or not migrated"
    if versions != heads:
        return "migrations not current"
    return None


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    heads = migration_heads(current_app.extensions["migrate"].directory)
    problems = {bind: problem for bind in BINDS if (problem := _store_problem(bind, heads))}
    if problems:
        response = jsonify(status="unavailable", stores=problems)
        response.headers["Retry-After"] = "5"
        return response, 503
    return jsonify(status="ok", stores=dict.fromkeys(BINDS, "ok")), 200
