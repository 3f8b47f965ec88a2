"""The EncodingAESKey a channel's new one replaced: WeChat advises trying it when the current key
cannot open a callback, for a while after the key is changed in the MP console

Revision ID: h4d1f6a8e234
Revises: g3c9e5d7f123

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "h4d1f6a8e234"
down_revision = "g3c9e5d7f123"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("encoding_aes_key_previous_enc", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("encoding_aes_key_previous_enc")
