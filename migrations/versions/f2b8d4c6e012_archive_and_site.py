"""archive records (C13) and website pages

Revision ID: f2b8d4c6e012
Revises: e1a7c3b5d901
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import cms.dbtypes  # noqa: F401

revision = "f2b8d4c6e012"
down_revision = "e1a7c3b5d901"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "archive_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("channel_name", sa.String(length=64), nullable=False),
        sa.Column("channel_platform", sa.String(length=16), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=400), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("remote_ids", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("push", sa.Boolean(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_archive_record_channel_id_channel")),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_archive_record_post_id_post")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_record")),
    )
    with op.batch_alter_table("archive_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_record_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_archive_record_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index("ix_archive_record_post_channel", ["post_id", "channel_id"], unique=False)

    op.create_table(
        "site_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=400), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("cover_asset_id", sa.Integer(), nullable=True),
        sa.Column("first_published_at", cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", cms.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", cms.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_site_page_channel_id_channel")),
        sa.ForeignKeyConstraint(["cover_asset_id"], ["asset.id"], name=op.f("fk_site_page_cover_asset_id_asset")),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_site_page_post_id_post")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_page")),
        sa.UniqueConstraint("channel_id", "post_id", name="uq_site_page_channel_post"),
        sa.UniqueConstraint("slug", name=op.f("uq_site_page_slug")),
    )
    with op.batch_alter_table("site_page", schema=None) as batch_op:
        batch_op.create_index("ix_site_page_channel_live", ["channel_id", "withdrawn_at", "published_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_site_page_post_id"), ["post_id"], unique=False)


def downgrade():
    with op.batch_alter_table("site_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_page_post_id"))
        batch_op.drop_index("ix_site_page_channel_live")
    op.drop_table("site_page")
    with op.batch_alter_table("archive_record", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_record_post_channel")
        batch_op.drop_index(batch_op.f("ix_archive_record_channel_id"))
        batch_op.drop_index(batch_op.f("ix_archive_record_at"))
    op.drop_table("archive_record")
