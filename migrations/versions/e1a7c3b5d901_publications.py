"""publications (the outbox)

Revision ID: e1a7c3b5d901
Revises: d9a4b6e1f302
"""
from alembic import op
import sqlalchemy as sa
import cms.dbtypes

revision = "e1a7c3b5d901"
down_revision = "d9a4b6e1f302"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('push', sa.Boolean(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('due_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_error_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('image_urls', sa.JSON(), nullable=False),
    sa.Column('thumb_media_id', sa.String(length=128), nullable=True),
    sa.Column('draft_media_id', sa.String(length=128), nullable=True),
    sa.Column('publish_id', sa.String(length=64), nullable=True),
    sa.Column('article_id', sa.String(length=128), nullable=True),
    sa.Column('msg_id', sa.String(length=32), nullable=True),
    sa.Column('msg_data_id', sa.String(length=32), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('client_ref', sa.String(length=64), nullable=False),
    sa.Column('override_reason', sa.String(length=500), nullable=False),
    sa.Column('scheduled_by_id', sa.Integer(), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_call_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_publication_channel_id_channel')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_publication_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scheduled_by_id'], ['user.id'], name=op.f('fk_publication_scheduled_by_id_user'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_publication_submission_id_submission'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('client_ref', name=op.f('uq_publication_client_ref')),
    sa.UniqueConstraint('post_id', 'channel_id', 'generation', name='uq_publication_post_channel_generation')
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_state'), ['state'], unique=False)
        batch_op.create_index('ix_publication_state_next_attempt', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_state_next_attempt')
        batch_op.drop_index(batch_op.f('ix_publication_state'))
        batch_op.drop_index(batch_op.f('ix_publication_post_id'))
        batch_op.drop_index(batch_op.f('ix_publication_channel_id'))

    op.drop_table('publication')
