"""Follower messages (in and answered, kept CMS_FOLLOWER_MESSAGE_RETENTION_DAYS) and the platform's
figures per article and day and per channel and day (issue 15)

Revision ID: fw15a7c3e9b2
Revises: cb3n7r2p5a14
"""
from alembic import op
import sqlalchemy as sa
import cms.dbtypes


# revision identifiers, used by Alembic.
revision = 'fw15a7c3e9b2'
down_revision = 'cb3n7r2p5a14'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('article_figure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('ref_date', sa.Date(), nullable=False),
    sa.Column('msgid', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('read_user', sa.Integer(), nullable=False),
    sa.Column('read_count', sa.Integer(), nullable=False),
    sa.Column('share_user', sa.Integer(), nullable=False),
    sa.Column('share_count', sa.Integer(), nullable=False),
    sa.Column('fav_user', sa.Integer(), nullable=False),
    sa.Column('fetched_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_article_figure_channel_id_channel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_figure')),
    sa.UniqueConstraint('channel_id', 'ref_date', 'msgid', name='uq_article_figure')
    )
    op.create_table('follower_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('msg_id', sa.String(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('sent_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_follower_message_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_follower_message_channel_id_channel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follower_message')),
    sa.UniqueConstraint('channel_id', 'msg_id', name='uq_follower_message_msg_id')
    )
    with op.batch_alter_table('follower_message', schema=None) as batch_op:
        batch_op.create_index('ix_follower_message_conversation', ['channel_id', 'openid', 'sent_at'], unique=False)
        batch_op.create_index('ix_follower_message_sent_at', ['sent_at'], unique=False)

    op.create_table('user_figure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('ref_date', sa.Date(), nullable=False),
    sa.Column('new_user', sa.Integer(), nullable=False),
    sa.Column('cancel_user', sa.Integer(), nullable=False),
    sa.Column('cumulate_user', sa.Integer(), nullable=True),
    sa.Column('fetched_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_user_figure_channel_id_channel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_figure')),
    sa.UniqueConstraint('channel_id', 'ref_date', name='uq_user_figure')
    )


def downgrade():
    op.drop_table('user_figure')
    with op.batch_alter_table('follower_message', schema=None) as batch_op:
        batch_op.drop_index('ix_follower_message_sent_at')
        batch_op.drop_index('ix_follower_message_conversation')

    op.drop_table('follower_message')
    op.drop_table('article_figure')
