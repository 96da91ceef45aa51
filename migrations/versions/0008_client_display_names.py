"""client display names: what shoppers see as the reader of their profile

Identity store: api_clients.display_name (NOT NULL); existing clients get their name.

Revision ID: 0008_client_display_names
Revises: 0007_releases
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_client_display_names'
down_revision = '0007_releases'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_answers():
    pass


def downgrade_answers():
    pass


def upgrade_identity():
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=100), nullable=True))
    op.execute("UPDATE api_clients SET display_name = name")
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.alter_column('display_name', existing_type=sa.String(length=100), nullable=False)


def downgrade_identity():
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.drop_column('display_name')
