"""A store that stops answering, for real: on PostgreSQL the database refuses connections and
every open one is cut (as in a restart); on SQLite its tables vanish ("no such table" is an
OperationalError too). Only this test's own database is touched."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask import Flask
from sqlalchemy.engine import make_url

from surveys.extensions import db
from tests.conftest import TEST_DATABASE_URL


@contextmanager
def store_down(app: Flask, bind: str) -> Iterator[None]:
    url = make_url(app.config["SQLALCHEMY_BINDS"][bind])
    if url.get_backend_name() == "sqlite":
        with app.app_context():
            db.drop_all(bind_key=bind)
        yield
        return
    admin = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as pg:
        pg.execute(f'ALTER DATABASE "{url.database}" WITH ALLOW_CONNECTIONS false')
        pg.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (url.database,),
        )
        try:
            yield
        finally:
            pg.execute(f'ALTER DATABASE "{url.database}" WITH ALLOW_CONNECTIONS true')
