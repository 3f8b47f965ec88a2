"""review chains: templates, versions, submissions, reviews, delegations

Revision ID: b7e2c41a9d10
Revises: 066c823c0299
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import cms.dbtypes  # noqa: F401

revision = "b7e2c41a9d10"
down_revision = "066c823c0299"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wechat_id', sa.String(length=64), server_default='', nullable=False))

    op.create_table('workflow_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_template')),
    sa.UniqueConstraint('key', name=op.f('uq_workflow_template_key'))
    )
    op.create_table('delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['deputy_id'], ['user.id'], name=op.f('fk_delegation_deputy_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_delegation_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation'))
    )
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegation_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegation_user_id'), ['user_id'], unique=False)

    op.create_table('workflow_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_workflow_version_created_by_id_user')),
    sa.ForeignKeyConstraint(['template_id'], ['workflow_template.id'], name=op.f('fk_workflow_version_template_id_workflow_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_version')),
    sa.UniqueConstraint('template_id', 'number', name='uq_workflow_version_number')
    )
    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('step_started_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('routing', sa.String(length=12), nullable=False),
    sa.Column('reminded_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('push', sa.JSON(), nullable=False),
    sa.Column('approved_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('publish_day', sa.Date(), nullable=True),
    sa.Column('overdue_flagged_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_submission_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_submission_submitted_by_id_user')),
    sa.ForeignKeyConstraint(['version_id'], ['workflow_version.id'], name=op.f('fk_submission_version_id_workflow_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_publish_day'), ['publish_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_state'), ['state'], unique=False)

    op.create_table('workflow_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=24), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_workflow_rule_channel_id_channel'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['workflow_template.id'], name=op.f('fk_workflow_rule_template_id_workflow_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_rule')),
    sa.UniqueConstraint('channel_id', 'category', name='uq_workflow_rule_channel_category')
    )
    op.create_table('assignee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_assignee_submission_id_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_assignee_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignee')),
    sa.UniqueConstraint('submission_id', 'user_id', name='uq_assignee')
    )
    with op.batch_alter_table('assignee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignee_user_id'), ['user_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('revision_hash', sa.String(length=64), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('created_at', cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['user.id'], name=op.f('fk_review_on_behalf_of_id_user')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_review_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_review_submission_id_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_review_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('ix_review_post_id_created', ['post_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index('ix_review_post_id_created')

    op.drop_table('review')
    with op.batch_alter_table('assignee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignee_user_id'))

    op.drop_table('assignee')
    op.drop_table('workflow_rule')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_state'))
        batch_op.drop_index(batch_op.f('ix_submission_publish_day'))
        batch_op.drop_index(batch_op.f('ix_submission_post_id'))
        batch_op.drop_index(batch_op.f('ix_submission_due_at'))

    op.drop_table('submission')
    op.drop_table('workflow_version')
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegation_user_id'))
        batch_op.drop_index(batch_op.f('ix_delegation_deputy_id'))

    op.drop_table('delegation')
    op.drop_table('workflow_template')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('wechat_id')

