"""SimHash band indexes (C14 near-duplicates, issue 18): a post's checks look up the published posts
sharing one of the four 16-bit bands of its SimHash (cms/content/service.py _same_band) instead of
reading every published post's SimHash. Expression indexes on both SQLite and PostgreSQL.

Revision ID: sc4l3b9d2e18
Revises: p9a4y6m2e8t1
"""
from alembic import op

revision = "sc4l3b9d2e18"
down_revision = "p9a4y6m2e8t1"
branch_labels = None
depends_on = None


def upgrade():
    for i in range(4):
        op.execute(f"CREATE INDEX simband_{i} ON revision (((simhash >> {16 * i}) & 65535))")


def downgrade():
    for i in range(4):
        op.execute(f"DROP INDEX simband_{i}")
