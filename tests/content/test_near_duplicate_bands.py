"""C14 near-duplicates are looked up by SimHash band in the database (cms/content/service.py
_same_band): every published post within NEAR_DUPLICATE_BITS of the post is still compared, and
posts sharing no 16-bit band are not read at all (the check no longer reads the whole archive)."""
from __future__ import annotations

import importlib.util
import random
from pathlib import Path

from sqlalchemy import select, update

from cms.content import service
from cms.content.models import Post, Revision
from cms.extensions import db

_spec = importlib.util.spec_from_file_location("seed_data", Path(__file__).parents[2] / "bench" / "seed_data.py")
seed_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed_data)


def _signed(u: int) -> int:
    return u - (1 << 64) if u >= 1 << 63 else u


def test_every_post_within_three_bits_is_compared_and_far_ones_are_not_read(app):
    seed_data.seed_posts(40, cycle=("published",))
    posts = db.session.scalars(select(Post).where(Post.status == "published").order_by(Post.id.desc())).all()[:40]
    me, others = posts[0], posts[1:]
    rng = random.Random(3)
    base = rng.getrandbits(64) | (1 << 63)  # a negative stored value too
    flips = [0, 1 << 5, (1 << 3) | (1 << 20) | (1 << 40), (1 << 1) | (1 << 17) | (1 << 33),  # ≤ 3 bits, bands apart
             (1 << 63) | (1 << 62) | (1 << 61),  # 3 bits, one band
             (1 << 2) | (1 << 18) | (1 << 34) | (1 << 50)]  # 4 bits, one in each band: shares none
    values = {me.id: base}
    for i, post in enumerate(others):
        values[post.id] = base ^ flips[i] if i < len(flips) else rng.getrandbits(64)
    for pid, value in values.items():
        db.session.execute(update(Revision).where(Revision.post_id == pid).values(simhash=_signed(value)))
    db.session.commit()
    db.session.expire_all()
    me = db.session.get(Post, me.id)
    compared = {pid for pid, _h in service.check_context(me).archive}
    near = {pid for pid, v in values.items() if pid != me.id and (v ^ base).bit_count() <= 3}
    assert len(near) == 5 and near <= compared
    assert others[5].id not in compared  # 4 bits apart, no band in common
    assert len(compared) < 10  # the random rest share no band (1 in 16,000 each)
