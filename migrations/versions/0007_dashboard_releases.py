"""dashboard releases: noisy weekly tables replace the rollups and the record keys

Answers store: the releases and release_tables tables (noisy counts of closed weeks, see
surveys/services/reporting/); the rollup_cells table and the responses' record_key column
(the cell-key method's) are dropped. Nothing is released here: run `flask dashboard release`
after upgrading, which releases every closed week of the answers already in the store.

Downgrading brings back the rollups and fresh random record keys, counted from the answers
(by the rules of revision 0005_dashboard, frozen here), and drops the releases.

Revision ID: 0007_releases
Revises: 0006_sealed_journal
Create Date: 2026-12-03 10:00:00

"""
import secrets
import uuid
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_releases'
down_revision = '0006_sealed_journal'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_answers():
    op.create_table('releases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('survey_id', sa.Uuid(), nullable=True),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('released_on', sa.Date(), nullable=False),
    sa.Column('rho', sa.Float(), nullable=False),
    sa.CheckConstraint("kind IN ('survey', 'consent')", name=op.f('ck_releases_known_kind')),
    sa.CheckConstraint('rho > 0', name=op.f('ck_releases_positive_rho')),
    sa.CheckConstraint("(kind = 'survey') = (survey_id IS NOT NULL)", name=op.f('ck_releases_survey_iff_kind')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_releases_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_releases')),
    sa.UniqueConstraint('scope', 'week', name='uq_releases_scope_week')
    )
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_releases_survey_id'), ['survey_id'], unique=False)

    op.create_table('release_tables',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('release_id', sa.Uuid(), nullable=False),
    sa.Column('table_key', sa.String(length=64), nullable=False),
    sa.Column('layout', sa.String(length=16), nullable=False),
    sa.Column('sigma', sa.Float(), nullable=False),
    sa.Column('rho', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.CheckConstraint('sigma > 0', name=op.f('ck_release_tables_positive_sigma')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_release_tables_release_id_releases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_tables')),
    sa.UniqueConstraint('release_id', 'table_key', name='uq_release_tables_release_table')
    )
    with op.batch_alter_table('release_tables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_tables_release_id'), ['release_id'], unique=False)

    op.drop_table('rollup_cells')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('record_key')


def downgrade_answers():
    # Checked before anything changes: the entries would be settled by code that no longer
    # knows the record keys this downgrade brings back.
    pending = op.get_bind().execute(sa.text('SELECT count(*) FROM answer_journal')).scalar()
    if pending:
        raise RuntimeError(
            f'{pending} answer journal entries are not settled yet. Run '
            '`flask answers settle --include-today`, then downgrade.'
        )
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
    sa.UniqueConstraint('survey_id', 'level', 'question', 'area', 'week', 'answer_a', 'answer_b', name='uq_rollup_cells_cell')
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_key', sa.Integer(), nullable=True))
    _fill_record_keys_and_rollups()
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.alter_column('record_key', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('release_tables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_tables_release_id'))
    op.drop_table('release_tables')
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_releases_survey_id'))
    op.drop_table('releases')


def _fill_record_keys_and_rollups():
    """Give each response a random record key and count it into the rollups, by the rules of
    revision 0005_dashboard (frozen here, as in that revision)."""
    from surveys import reference

    zones = {code: state.zone for code, state in reference.geography().states.items()}
    singles = ('age_band', 'income_band', 'gender')
    pairs = (('age_band', 'income_band'), ('age_band', 'gender'), ('income_band', 'gender'))
    bind = op.get_bind()
    responses = sa.table(
        'responses', sa.column('id', sa.Uuid()), sa.column('survey_id', sa.Uuid()),
        sa.column('state_code', sa.String()), sa.column('lga_code', sa.String()),
        sa.column('age_band', sa.String()), sa.column('income_band', sa.String()),
        sa.column('gender', sa.String()), sa.column('submitted_on', sa.Date()),
        sa.column('record_key', sa.Integer()),
    )
    cells = {}
    for row in bind.execute(sa.select(responses)).all():
        key = secrets.randbelow(2**31)
        bind.execute(sa.update(responses).where(responses.c.id == row.id).values(record_key=key))
        week = row.submitted_on - timedelta(days=row.submitted_on.weekday())
        answers = {name: getattr(row, name) or 'skipped'
                   for name in ('state_code', 'lga_code', *singles)}
        state = answers['state_code']
        found = [('state', state, 'lga', answers['lga_code'], '')]
        for level, area in (('all', ''), ('zone', zones.get(state, state)), ('state', state)):
            found.append((level, area, 'total', '', ''))
            found += [(level, area, q, answers[q], '') for q in singles]
            found += [(level, area, f'{a}+{b}', answers[a], answers[b]) for a, b in pairs]
        for cell in found:
            counted = cells.setdefault((row.survey_id, week, *cell), [0, 0])
            counted[0] += 1
            counted[1] += key
    names = ('survey_id', 'week', 'level', 'area', 'question', 'answer_a', 'answer_b')
    types = {'survey_id': sa.Uuid(), 'week': sa.Date()}
    table = sa.table(
        'rollup_cells', sa.column('id', sa.Uuid()), sa.column('count', sa.Integer()),
        sa.column('key_sum', sa.BigInteger()),
        *(sa.column(n, types.get(n, sa.String())) for n in names),
    )
    if cells:
        op.bulk_insert(table, [
            {'id': uuid.uuid4(), **dict(zip(names, cell)), 'count': c, 'key_sum': k}
            for cell, (c, k) in cells.items()
        ])


def upgrade_identity():
    pass


def downgrade_identity():
    pass
