"""languages: survey titles and intros per language; the language of a consent's notice

Answers store: surveys.translations (JSON, NOT NULL; existing surveys get {}: English only).
Identity store: consent_records.notice_language (NOT NULL; every existing record was given
on the English notice, the only one there was).

Revision ID: 0009_languages
Revises: 0008_client_display_names
Create Date: 2026-12-03 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_languages'
down_revision = '0008_client_display_names'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_answers():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    op.execute("UPDATE surveys SET translations = '{}'")
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.alter_column('translations', existing_type=sa.JSON(), nullable=False)


def downgrade_answers():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('translations')


def upgrade_identity():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_language', sa.String(length=8), nullable=True))
    op.execute("UPDATE consent_records SET notice_language = 'en'")
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.alter_column(
            'notice_language', existing_type=sa.String(length=8), nullable=False
        )


def downgrade_identity():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_column('notice_language')
