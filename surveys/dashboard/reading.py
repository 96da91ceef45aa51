"""Where the dashboard reads the answers store from: a read replica when one is configured.

With ``ANSWERS_READ_DATABASE_URL`` set, the ``answers_read`` bind exists and each request gets
its own session that reads answers-store tables through it (identity tables through the
identity engine), so that heavy reporting never queues behind shoppers' writes. Without it,
reports read through ``db.session`` as everything else does. Reports never write: the replica
session refuses to, and is rolled back and closed when the request ends.
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from surveys.dashboard import bp
from surveys.extensions import db

READ_BIND = "answers_read"
_G_KEY = "dashboard_reading_session"


class ReadOnlySessionError(RuntimeError):
    """Something tried to write through the dashboard's reading session."""


def _refuse_flush(session: Session, *_: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionError("the dashboard's reading session never writes")


def _refuse_writes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionError("the dashboard's reading session never writes")


def _replica_session() -> Session:
    replica = db.engines[READ_BIND]
    identity = db.engines["identity"]
    binds: dict[Any, Any] = {table: replica for table in db.metadatas["answers"].tables.values()}
    binds.update({table: identity for table in db.metadatas["identity"].tables.values()})
    session = Session(binds=binds, autoflush=False)
    event.listen(session, "before_flush", _refuse_flush)
    event.listen(session, "do_orm_execute", _refuse_writes)
    return session


def reading_session() -> Session:
    """The session this request reads answers through: the replica's, else ``db.session``."""
    if READ_BIND not in db.engines:
        return db.session()
    session = g.get(_G_KEY)
    if session is None:
        session = g.setdefault(_G_KEY, _replica_session())
    return session


@bp.teardown_app_request
def close_reading_session(_: BaseException | None) -> None:
    session = g.pop(_G_KEY, None)
    if session is not None:
        session.rollback()
        session.close()
