"""channel credentials and platform token storage

Revision ID: d9a4b6e1f302
Revises: c3d5f8a2e611
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import cms.dbtypes  # noqa: F401

revision = "d9a4b6e1f302"
down_revision = "c3d5f8a2e611"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.add_column(sa.Column('app_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('app_secret_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('callback_token_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('encoding_aes_key_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('secret_rotated_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rotation_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('manager_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('api_base_url', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('push_quota', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('slug', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_channel_manager_id'), ['manager_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_channel_slug'), ['slug'])
        batch_op.create_foreign_key(batch_op.f('fk_channel_manager_id_user'), 'user', ['manager_id'], ['id'],
                                    ondelete='SET NULL')

    op.create_table('platform_token',
    sa.Column('key', sa.String(length=191), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_platform_token'))
    )


def downgrade():
    op.drop_table('platform_token')
    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_channel_manager_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_channel_slug'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_channel_manager_id'))
        batch_op.drop_column('slug')
        batch_op.drop_column('push_quota')
        batch_op.drop_column('api_base_url')
        batch_op.drop_column('manager_id')
        batch_op.drop_column('rotation_days')
        batch_op.drop_column('encoding_aes_key_enc')
        batch_op.drop_column('callback_token_enc')
        batch_op.drop_column('secret_rotated_at')
        batch_op.drop_column('app_secret_enc')
        batch_op.drop_column('app_id')
