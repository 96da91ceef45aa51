"""answers journal; clear answer tables rewritten in a random order (WITHOUT ROWID on SQLite);
session and used-token expiry rounded up to the hour

Answers store: the sealed ``answer_journal`` that visits now write to, and
``files_to_clear``, the settle's list of tables still to rewrite. The tables a visit
used to write (responses, dismissals, funnel_counts, rollup_cells) keep their columns, but
their rows are written again in a random order in one transaction: their old physical order
(and, on SQLite, the hidden rowid) was the order in which answers arrived. On SQLite they
become WITHOUT ROWID tables; on PostgreSQL they are truncated (new, empty files: no dead
row remains) and refilled in a random order. Identity store: the expiry of live shopper
sessions and used shop tokens is rounded up to the hour, and expired sessions are deleted.

Run ``flask answers settle`` after upgrading: on SQLite it checkpoints the write-ahead log,
which otherwise holds the old pages until the next checkpoint.

Revision ID: 0006_sealed_journal
Revises: 0005_dashboard
Create Date: 2026-12-03 10:00:00

"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_sealed_journal'
down_revision = '0005_dashboard'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


# The tables as they are at this revision (frozen here, not imported from the models).

def _responses(**kw):
    op.create_table('responses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Uuid(), nullable=False),
    sa.Column('respondent_hash', sa.String(length=64), nullable=False),
    sa.Column('state_code', sa.String(length=32), nullable=True),
    sa.Column('lga_code', sa.String(length=32), nullable=True),
    sa.Column('age_band', sa.String(length=32), nullable=True),
    sa.Column('income_band', sa.String(length=32), nullable=True),
    sa.Column('gender', sa.String(length=32), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('updated_on', sa.Date(), nullable=False),
    sa.Column('record_key', sa.Integer(), nullable=False),
    sa.CheckConstraint("age_band IS NULL OR age_band <> 'under_18'", name=op.f('ck_responses_no_minors')),
    sa.CheckConstraint("lga_code IS NULL OR lga_code = 'prefer_not_to_say' OR (state_code IS NOT NULL AND lga_code LIKE state_code || '-%')", name=op.f('ck_responses_lga_in_state')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_responses_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('survey_id', 'respondent_hash', name=op.f('uq_responses_survey_id_respondent_hash')),
    **kw
    )
    op.create_index(op.f('ix_responses_respondent_hash'), 'responses', ['respondent_hash'], unique=False)


def _dismissals(**kw):
    op.create_table('dismissals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Uuid(), nullable=False),
    sa.Column('respondent_hash', sa.String(length=64), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_dismissals_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dismissals')),
    sa.UniqueConstraint('survey_id', 'respondent_hash', name=op.f('uq_dismissals_survey_id_respondent_hash')),
    **kw
    )
    op.create_index(op.f('ix_dismissals_respondent_hash'), 'dismissals', ['respondent_hash'], unique=False)


def _funnel_counts(**kw):
    op.create_table('funnel_counts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_funnel_counts_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funnel_counts')),
    sa.UniqueConstraint('survey_id', 'day', 'event', name=op.f('uq_funnel_counts_survey_id_day_event')),
    **kw
    )


def _rollup_cells(**kw):
    op.create_table('rollup_cells',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Uuid(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('area', sa.String(length=32), nullable=False),
    sa.Column('question', sa.String(length=40), nullable=False),
    sa.Column('answer_a', sa.String(length=32), nullable=False),
    sa.Column('answer_b', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('key_sum', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('count > 0', name=op.f('ck_rollup_cells_positive_count')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_rollup_cells_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_cells')),
    sa.UniqueConstraint('survey_id', 'level', 'question', 'area', 'week', 'answer_a', 'answer_b', name='uq_rollup_cells_cell'),
    **kw
    )


TABLES = {
    'responses': (_responses, ['ix_responses_respondent_hash']),
    'dismissals': (_dismissals, ['ix_dismissals_respondent_hash']),
    'funnel_counts': (_funnel_counts, []),
    'rollup_cells': (_rollup_cells, []),
}


def _rewrite_in_random_order(with_rowid):
    """Every row of the tables a visit used to write, written again in a random order.

    The rows wait in a temporary table (kept in memory on SQLite) while the table is
    replaced: dropped and made again on SQLite (WITHOUT ROWID or not, as asked; secure_delete
    zeroes the old pages), truncated on PostgreSQL (new files, so no dead row version of the
    old order remains). They come back in a random order, every one with this transaction's
    id.
    """
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        op.execute('PRAGMA temp_store = MEMORY')
    for name, (create, indexes) in TABLES.items():
        op.execute(f'CREATE TEMPORARY TABLE "shuffled_{name}" AS SELECT * FROM "{name}"')
        columns = [c['name'] for c in sa.inspect(bind).get_columns(name)]
        listed = ', '.join(f'"{c}"' for c in columns)
        if sqlite:
            for index in indexes:
                op.drop_index(index, table_name=name)
            op.drop_table(name)
            create(sqlite_with_rowid=with_rowid)
        else:
            op.execute(f'TRUNCATE "{name}"')
        op.execute(
            f'INSERT INTO "{name}" ({listed}) SELECT {listed} FROM "shuffled_{name}" ORDER BY random()'
        )
        op.execute(f'DROP TABLE "shuffled_{name}"')


def _checkpoint():
    """SQLite: copy the new pages into the main file and empty the write-ahead log, whose old
    pages would otherwise still hold the old order until the next checkpoint."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute('PRAGMA wal_checkpoint(TRUNCATE)')


def upgrade_answers():
    op.create_table('answer_journal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_journal')),
    sqlite_with_rowid=False,
    )
    op.create_index(op.f('ix_answer_journal_tag'), 'answer_journal', ['tag'], unique=False)
    op.create_table('files_to_clear',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('relation', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_files_to_clear')),
    sa.UniqueConstraint('relation', name=op.f('uq_files_to_clear_relation')),
    sqlite_with_rowid=False,
    )
    _rewrite_in_random_order(with_rowid=False)
    _checkpoint()


def downgrade_answers():
    bind = op.get_bind()
    pending = bind.execute(sa.text('SELECT count(*) FROM answer_journal')).scalar()
    if pending:
        raise RuntimeError(
            f'{pending} answer journal entries are not settled yet, and the earlier schema has '
            'nowhere to keep them. Run `flask answers settle --include-today`, then downgrade.'
        )
    op.drop_index(op.f('ix_answer_journal_tag'), table_name='answer_journal')
    op.drop_table('answer_journal')
    op.drop_table('files_to_clear')
    _rewrite_in_random_order(with_rowid=True)
    _checkpoint()


def _aware(moment):
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _up_to_the_hour(moment):
    moment = _aware(moment)
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def upgrade_identity():
    """Live sessions and used tokens get their expiry rounded up to the hour; the expired go.
    The rows are deleted and written again (PostgreSQL: truncated first), so that no old
    version with the exact time is left behind."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    for name in ('shopper_sessions', 'used_tokens'):
        table = sa.Table(name, sa.MetaData(), autoload_with=bind)
        rows = [dict(row) for row in bind.execute(sa.select(table)).mappings()]
        live = [row for row in rows if _aware(row['expires_at']) > now]
        for row in live:
            row['expires_at'] = _up_to_the_hour(row['expires_at'])
        if bind.dialect.name == 'postgresql':
            op.execute(f'TRUNCATE "{name}"')
        else:
            op.execute(f'DELETE FROM "{name}"')
        if live:
            op.bulk_insert(table, live)


def downgrade_identity():
    pass  # rounded-up times are valid times: nothing to undo
