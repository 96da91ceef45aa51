"""Command-line tools: ``.venv/bin/flask <group> <command>`` from the repository root."""

from flask import Flask


def register_commands(app: Flask) -> None:
    from surveys.cli.answers import answers_group
    from surveys.cli.clients import clients_group
    from surveys.cli.retention import retention_group
    from surveys.cli.surveys import surveys_group
    from surveys.cli.webhooks import webhooks_group

    app.cli.add_command(surveys_group)
    app.cli.add_command(answers_group)
    app.cli.add_command(retention_group)
    app.cli.add_command(clients_group)
    app.cli.add_command(webhooks_group)

    from surveys.cli.demo import dashboard_group, demo_group
    from surveys.cli.staff import staff_group

    app.cli.add_command(staff_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(dashboard_group)
