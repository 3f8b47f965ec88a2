"""A channel's callback mode (plaintext | compatible | safe; none chosen: safe with a stored
EncodingAESKey, else plaintext), and the nonces of the callbacks taken, so that an exact replay
inside the timestamp window is refused by every process (issue 13 part 3)

Revision ID: cb3n7r2p5a14
Revises: hd7c2e9a4b10

"""
from alembic import op
import sqlalchemy as sa

from cms.dbtypes import UTCDateTime


# revision identifiers, used by Alembic.
revision = "cb3n7r2p5a14"
down_revision = "hd7c2e9a4b10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_mode", sa.String(length=16), nullable=True))
    op.create_table(
        "callback_nonce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_callback_nonce_channel_id_channel"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_nonce")),
        sa.UniqueConstraint("channel_id", "timestamp", "nonce", name="uq_callback_nonce"),
    )
    with op.batch_alter_table("callback_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_nonce_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("callback_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_nonce_expires_at"))
    op.drop_table("callback_nonce")
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("callback_mode")
