"""The app-wide hooks of the other audiences' extensions, which API requests skip.

Flask-Limiter and Flask-Login each hook every request of the app. Under /api they have
nothing to do: the API counts its budget itself (rate_limits.py) and knows no signed-in user,
and no cookie session is even opened there (surveys.cookies). Yet they cost a profile read
~10 % of its time (Flask-Limiter resolving which of its limits apply before deciding none
does; docs/benchmarks.md). Their hooks are wrapped here so that an API request passes them
by; every other request runs them as before.

Only the hooks of these two extensions are wrapped, found by whose they are: the app's own
hooks (the JSON access log, the security headers, the API's auth) run on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, update_wrapper
from typing import Any

from flask import Flask, request

from surveys.extensions import limiter, login

#: The extensions whose request hooks API requests skip.
SKIPPED_EXTENSIONS = (limiter, login)


def _owner(hook: Callable[..., Any]) -> object:
    if isinstance(hook, partial):  # Flask-Limiter's after_request is partial(method, self)
        return hook.args[0] if hook.args else None
    return getattr(hook, "__self__", None)


def _outside_the_api(hook: Callable[..., Any], blueprint: str) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        if request.blueprint == blueprint:
            # Before-request hooks get nothing and must return None to let the request on;
            # after-request hooks get the response and return it; teardowns' value is unused.
            return args[0] if args else None
        return hook(*args)

    run.skips_blueprint = blueprint  # type: ignore[attr-defined]
    return update_wrapper(run, hook) if not isinstance(hook, partial) else run


def skip_in(app: Flask, blueprint: str) -> None:
    """Make requests of ``blueprint`` pass by the app-wide hooks of SKIPPED_EXTENSIONS."""
    for hooks in (
        app.before_request_funcs.get(None, []),
        app.after_request_funcs.get(None, []),
        app.teardown_request_funcs.get(None, []),
    ):
        for index, hook in enumerate(hooks):
            if getattr(hook, "skips_blueprint", None) is None and any(
                _owner(hook) is extension for extension in SKIPPED_EXTENSIONS
            ):
                hooks[index] = _outside_the_api(hook, blueprint)
