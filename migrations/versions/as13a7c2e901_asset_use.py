"""Which posts used which images (asset_use), so an image is read by whoever may read a post that
used it, without scanning every revision's HTML; filled from the revisions saved so far

Revision ID: as13a7c2e901
Revises: h4d1f6a8e234

The backfill carries over the uses a revision could make under the rule now enforced on save
(cms/content/asset_policy.py): a post used an image when the revision that first showed it in
that post was written by the image's uploader or by a holder of a global role that reads every
post. A reference made before the rule by someone else (the hole being closed: another
contributor naming `/assets/N` in their own draft) is not carried over, so it grants nothing.
"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "as13a7c2e901"
down_revision = "h4d1f6a8e234"
branch_labels = None
depends_on = None

# The roles granting post.read_all when this migration was written (cms/permissions.py), frozen here.
READ_ALL_ROLES = ("editor", "proofreader", "supervisor", "chief", "account_admin", "auditor", "sysadmin")
# As cms.content.render.asset_references, frozen: an /assets/<id> in any attribute value.
ATTRIBUTE = re.compile(r"""\s[\w:-]+\s*=\s*(?:"([^"]*)"|'([^']*)')""")
ASSET_REF = re.compile(r"""(?:^|[\s("',]|https?://[^/\s"'()]+)/assets/(\d+)""", re.IGNORECASE)
MAX_ID = 2**31 - 1


def _references(html_text: str) -> list[int]:
    import html

    found: list[int] = []
    for m in ATTRIBUTE.finditer(html_text or ""):
        value = html.unescape(m.group(1) if m.group(1) is not None else m.group(2)).strip()
        for ref in ASSET_REF.finditer(value):
            number = int(ref.group(1))
            if number <= MAX_ID and number not in found:
                found.append(number)
    return found


def upgrade():
    op.create_table(
        "asset_use",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_asset_use_asset_id_asset"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_asset_use_post_id_post"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "asset_id", name=op.f("pk_asset_use")),
    )
    with op.batch_alter_table("asset_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_use_asset_id"), ["asset_id"], unique=False)

    conn = op.get_bind()
    uploader = dict(conn.execute(sa.text("SELECT id, uploaded_by_id FROM asset")).all())
    if not uploader:
        return
    readers = {row[0] for row in conn.execute(
        sa.text("SELECT user_id FROM role_assignment WHERE scope_type IS NULL AND role IN :roles")
        .bindparams(sa.bindparam("roles", expanding=True)), {"roles": list(READ_ALL_ROLES)})}
    first_writer: dict[tuple[int, int], int] = {}
    rows = conn.execute(sa.text(
        "SELECT post_id, written_by_id, html, cover_asset_id FROM revision ORDER BY post_id, number"))
    for post_id, writer, html_text, cover in rows:
        for asset_id in [*_references(html_text), *([cover] if cover else [])]:
            first_writer.setdefault((post_id, asset_id), writer)
    uses = [{"post_id": post_id, "asset_id": asset_id}
            for (post_id, asset_id), writer in sorted(first_writer.items())
            if asset_id in uploader and (writer == uploader[asset_id] or writer in readers)]
    if uses:
        conn.execute(sa.text("INSERT INTO asset_use (post_id, asset_id) VALUES (:post_id, :asset_id)"), uses)


def downgrade():
    with op.batch_alter_table("asset_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_use_asset_id"))
    op.drop_table("asset_use")
