"""in-app notifications

Revision ID: c3d5f8a2e611
Revises: b7e2c41a9d10
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import cms.dbtypes  # noqa: F401

revision = "c3d5f8a2e611"
down_revision = "b7e2c41a9d10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("wecom_status", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_notification_post_id_post"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_post_id"), ["post_id"], unique=False)
        batch_op.create_index("ix_notification_user_read", ["user_id", "read_at"], unique=False)


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_read")
        batch_op.drop_index(batch_op.f("ix_notification_post_id"))
    op.drop_table("notification")
