"""C14 near-duplicates: which published posts a post's checks compare it with (cms.content.checks
copyright.check_near_duplicate measures them)."""
from __future__ import annotations

from sqlalchemy import literal_column, or_, select

from cms.content.models import Post, Revision
from cms.extensions import db


def _same_band(simhash: int):
    """C14 near-duplicates, found by the database: two 64-bit SimHashes within
    NEAR_DUPLICATE_BITS (3) bits of each other agree on at least one of their four 16-bit bands
    (pigeonhole), so only the published posts sharing a band with this one can be near; the check
    then measures those. Without it every page showing a post's checks read every published post's
    SimHash (83 ms at 20,000 posts, growing with the archive)."""
    from cms.content.checks.copyright import NEAR_DUPLICATE_BITS

    bands = NEAR_DUPLICATE_BITS + 1
    width = 64 // bands
    assert bands * width == 64 and bands <= 4
    mask = (1 << width) - 1
    # the shift and mask are SQL integer literals: PostgreSQL shifts a bigint by an integer only
    return or_(*[Revision.simhash.op(">>")(literal_column(str(width * i))).op("&")(literal_column(str(mask)))
                 == (simhash >> (width * i)) & mask for i in range(bands)])


def near_candidates(post: Post) -> list[tuple[int, int]]:
    """(post id, stored SimHash) of the published posts (their current revision) that can be
    within NEAR_DUPLICATE_BITS of `post`'s current revision: those sharing a band, by index
    (migration sc4l3b9d2e18); every published post when the post has no SimHash yet."""
    query = select(Revision.post_id, Revision.simhash).join(Post).where(
        Post.status == "published", Post.id != post.id, Revision.number == Post.revision_count)
    current = post.current
    if current is not None and current.simhash:
        query = query.where(_same_band(current.simhash))
    return [tuple(row) for row in db.session.execute(query).all()]
