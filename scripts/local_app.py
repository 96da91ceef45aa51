"""The app on temporary SQLite stores with the default surveys, for the scripts that look at
the shopper pages (screenshots, Lighthouse, page weight): one way to make it, not three."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask
from werkzeug.serving import make_server

from surveys import create_app
from surveys.extensions import db
from surveys.services import catalogue


def local_app(stores: Path | str, **config: Any) -> Flask:
    """A fresh app whose two stores are SQLite files in ``stores``, random keys, no rate
    limits, the default surveys loaded; ``config`` adds to or overrides that."""
    app = create_app(
        {
            "SURVEYS_ENV": "test",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
            "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
            "SQLALCHEMY_BINDS": {b: f"sqlite:///{stores}/{b}.db" for b in ("answers", "identity")},
            "RATELIMIT_ENABLED": False,
            **config,
        }
    )
    with app.app_context():
        db.create_all(bind_key=["answers", "identity"])
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


def serve(app: Flask) -> str:
    """Serve ``app`` on a free local port in a background thread; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"
