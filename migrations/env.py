"""Alembic environment for the two stores.

Each revision has an ``upgrade_answers``/``upgrade_identity`` pair; each store keeps its own
``alembic_version`` table. The stores are migrated one after the other, each in its own
transaction (they may be different servers, so there is no shared transaction to use).
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

BINDS = ("answers", "identity")
target_db = current_app.extensions["migrate"].db


def run_migrations_offline() -> None:
    for name in BINDS:
        url = target_db.engines[name].url.render_as_string(hide_password=False)
        with open(f"{name}.sql", "w") as buffer:
            context.configure(
                url=url,
                output_buffer=buffer,
                target_metadata=target_db.metadatas[name],
                literal_binds=True,
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


def run_migrations_online() -> None:
    def skip_empty_autogenerate(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            # Called once per store: decide only after the last one, or a change to the
            # identity store alone would be thrown away with the empty answers store.
            if len(script.upgrade_ops_list) == len(BINDS) and all(
                ops.is_empty() for ops in script.upgrade_ops_list
            ):
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    for name in BINDS:
        engine = target_db.engines[name]
        logger.info("Migrating the %s store", name)
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                upgrade_token=f"{name}_upgrades",
                downgrade_token=f"{name}_downgrades",
                target_metadata=target_db.metadatas[name],
                **conf_args,
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
