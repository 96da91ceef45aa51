"""Optional demographic surveys for an online shop, with answers kept apart from identity."""

from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from surveys.config import load_config
from surveys.cookies import SignedCookieSessions
from surveys.extensions import csrf, db, limiter, login, migrate

ROOT = Path(__file__).resolve().parent.parent


#: Whether each hook or view is ``async def``, for as long as it exists (weakly held: a
#: closure made for one request keeps nothing of it alive here).
_IS_ASYNC: weakref.WeakKeyDictionary[Callable[..., Any], bool] = weakref.WeakKeyDictionary()


class SurveysFlask(Flask):
    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's, with the answer kept per function: it asks for every hook and view on
        every request (19 times for a profile read), and ``inspect`` unwrapping each one
        cost ~3 % of a read. The app has no ``async def`` view or hook anyway."""
        try:
            is_async = _IS_ASYNC[func]
        except KeyError:
            is_async = inspect.iscoroutinefunction(func)
            with contextlib.suppress(TypeError):  # not weakly referenceable: not kept
                _IS_ASYNC[func] = is_async
        except TypeError:
            is_async = inspect.iscoroutinefunction(func)
        return self.async_to_sync(func) if is_async else func

    def log_exception(self, exc_info) -> None:  # type: ignore[no-untyped-def, override]
        """Log the error's type and route only: messages and tracebacks can carry answers."""
        from flask import request

        from surveys.logs import UNMATCHED_PATH

        self.logger.error(
            "unhandled %s on %s %s",
            exc_info[0].__name__ if exc_info and exc_info[0] else "error",
            request.method,
            request.url_rule.rule if request.url_rule else UNMATCHED_PATH,
        )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. No database work happens here: migrations are a deploy step."""
    app = SurveysFlask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)
    # Lean HTML for slow networks: no blank lines left behind by template tags.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.session_interface = SignedCookieSessions()

    if app.config["TRUSTED_PROXIES"]:
        # Behind a reverse proxy: take the client address, scheme and host from its headers
        # (the host and scheme are what form posts' Origin is checked against), and the path
        # prefix it serves the app under (X-Forwarded-Prefix: /surveys on the shop's own origin).
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )

    from surveys import models  # noqa: F401  (registers both stores' tables)
    from surveys.services import profile_events  # noqa: F401  (answer changes -> change feed)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)

    from surveys import errors, i18n, logs, security

    i18n.init_app(app)
    logs.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from surveys.api import bp as api_bp
    from surveys.health import bp as health_bp
    from surveys.shopper import bp as shopper_bp

    app.register_blueprint(shopper_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp)

    from surveys.account import bp as account_bp
    from surveys.auth import bp as auth_bp
    from surveys.auth import demo_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    if app.config["DEMO"]:
        app.register_blueprint(demo_bp)

    from surveys.dashboard import bp as dashboard_bp

    app.register_blueprint(dashboard_bp)

    from surveys.services.answers import settle
    from surveys.services.reporting import release

    # The nightly settle releases the weeks it has just completed, in its own transaction: a
    # week is released only once every day of it is in the clear tables.
    if release.release_due_weeks not in settle.AFTER_SETTLE:
        settle.AFTER_SETTLE.append(release.release_due_weeks)

    from surveys.cli import register_commands

    register_commands(app)
    return app
