"""Entry point for ``flask`` (found on its own from the repository root) and gunicorn."""

from surveys import create_app

app = create_app()
