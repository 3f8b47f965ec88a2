"""Holidays and swapped working days entered by administrators (the years chinese-calendar lacks)

Revision ID: hd7c2e9a4b10
Revises: se5b7c9d1a23

"""
from alembic import op
import sqlalchemy as sa

from cms.dbtypes import UTCDateTime


# revision identifiers, used by Alembic.
revision = "hd7c2e9a4b10"
down_revision = "se5b7c9d1a23"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f("ck_calendar_day_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_day")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_day_day")),
    )


def downgrade():
    op.drop_table("calendar_day")
