"""The violations register (G10 U8): violations with their state, handling and report to legal,
and their evidence files; the WeCom chats of work groups (group_wecom_chat)

Revision ID: vr4g10u8c001
Revises: wg6r1m4k8s20

"""
from alembic import op
import sqlalchemy as sa

from cms.dbtypes import UTCDateTime


# revision identifiers, used by Alembic.
revision = "vr4g10u8c001"
down_revision = "wg6r1m4k8s20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('violation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_user_id', sa.Integer(), nullable=True),
    sa.Column('subject_name', sa.String(length=64), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('context', sa.String(length=200), nullable=False),
    sa.Column('context_ref', sa.String(length=64), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposed_amount_fen', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=False),
    sa.Column('handling', sa.String(length=32), nullable=True),
    sa.Column('handling_amount_fen', sa.Integer(), nullable=True),
    sa.Column('handling_note', sa.Text(), nullable=False),
    sa.Column('handled_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('report_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_violation_created_by_id_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_violation_decided_by_id_user')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_violation_department_id_department')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_violation_handled_by_id_user')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user.id'], name=op.f('fk_violation_reported_by_id_user')),
    sa.ForeignKeyConstraint(['subject_user_id'], ['user.id'], name=op.f('fk_violation_subject_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violation'))
    )
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violation_context_ref'), ['context_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_state'), ['state'], unique=False)
        batch_op.create_index('ix_violation_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_subject_user_id'), ['subject_user_id'], unique=False)

    op.create_table('violation_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('violation_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('mime', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_violation_evidence_uploaded_by_id_user')),
    sa.ForeignKeyConstraint(['violation_id'], ['violation.id'], name=op.f('fk_violation_evidence_violation_id_violation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violation_evidence'))
    )
    with op.batch_alter_table('violation_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violation_evidence_violation_id'), ['violation_id'], unique=False)



    op.create_table('group_wecom_chat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('chatid', sa.String(length=32), nullable=False),
    sa.Column('enabled_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('enabled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('notice_sent_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enabled_by_id'], ['user.id'], name=op.f('fk_group_wecom_chat_enabled_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['work_group.id'], name=op.f('fk_group_wecom_chat_group_id_work_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_wecom_chat')),
    sa.UniqueConstraint('chatid', name=op.f('uq_group_wecom_chat_chatid')),
    sa.UniqueConstraint('group_id', name=op.f('uq_group_wecom_chat_group_id'))
    )


def downgrade():
    op.drop_table('group_wecom_chat')
    with op.batch_alter_table('violation_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_violation_evidence_violation_id'))

    op.drop_table('violation_evidence')
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_violation_subject_user_id'))
        batch_op.drop_index('ix_violation_state_created')
        batch_op.drop_index(batch_op.f('ix_violation_state'))
        batch_op.drop_index(batch_op.f('ix_violation_department_id'))
        batch_op.drop_index(batch_op.f('ix_violation_context_ref'))

    op.drop_table('violation')
