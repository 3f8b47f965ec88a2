"""Who may read which uploaded image, and which images a draft may show.

An image is read by whoever may read a post that used it (its body or cover, in any revision:
the history and the diff show old revisions too), and by its uploader; nobody else, whatever
else they may read: an unused image belongs to its uploader alone. "May read a post" is
cms.content.policy's `can_view`, so a post's reviewers and administrators with post.read_all see
its images, and a department's people see the images of its posts.

A draft may show only images its writer may read (or ones the post already used), so naming
`/assets/N` in one's own draft is no longer a way to read someone else's picture. An image can
belong to a confidential post (C5) or hold company secrets or personal privacy (C15), so a
refusal never says whether the image exists. Which posts used an image is kept in asset_use,
written with each revision (service._new_revision).
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import or_, select

from cms.content import policy
from cms.content.models import Asset, AssetUse, Post
from cms.errors import Refused
from cms.extensions import db

MAX_ID = 2**31 - 1  # an id past the column's range names nothing (and must not reach the database)


def posts_using(asset: Asset) -> list[Post]:
    return list(db.session.scalars(select(Post).join(AssetUse, AssetUse.post_id == Post.id)
                                   .where(AssetUse.asset_id == asset.id).order_by(Post.id)))


def can_view(user, asset: Asset) -> bool:
    """The uploader, or whoever may read a post that used the image."""
    if asset.uploaded_by_id == user.id:
        return True
    return any(policy.can_view(user, post) for post in posts_using(asset))


def used_by(asset: Asset, post: Post | None) -> bool:
    if post is None or post.id is None:
        return False
    return db.session.get(AssetUse, (post.id, asset.id)) is not None


def can_reference(user, asset: Asset, post: Post | None = None) -> bool:
    """May `user` save a revision (of `post`, None for a new one) that shows `asset`? When they may
    read it, or when the post used it already (keeping a picture reveals nothing new)."""
    return can_view(user, asset) or used_by(asset, post)


def readable_assets(user, query):
    """Narrow a select over Asset to the images `user` may read (for pickers and listings)."""
    used_in_visible = select(AssetUse.asset_id).where(
        AssetUse.post_id.in_(policy.visible_posts(user, select(Post.id))))
    return query.where(or_(Asset.uploaded_by_id == user.id, Asset.id.in_(used_in_visible)))


def refused_references(user, ids: Iterable[int], post: Post | None = None) -> list[int]:
    """Of `ids`, those the user may not show: missing images and images they may not read alike."""
    wanted = list(dict.fromkeys(ids))
    known = {a.id: a for a in db.session.scalars(
        select(Asset).where(Asset.id.in_([i for i in wanted if 0 < i <= MAX_ID])))} if wanted else {}
    return [i for i in wanted if i not in known or not can_reference(user, known[i], post)]


def check_references(user, body_ids: Iterable[int], cover_id: int | None, post: Post | None = None) -> None:
    """Refuse (422, nothing saved) a revision showing an image its writer may not use, naming it."""
    fields: dict[str, list[str]] = {}
    refused: list[int] = []
    bad_body = refused_references(user, body_ids, post)
    if bad_body:
        fields["body"] = [_message(bad_body)]
        refused += bad_body
    if cover_id is not None and refused_references(user, [cover_id], post):
        fields["cover_asset_id"] = [_message([cover_id])]
        refused.append(cover_id)
    if fields:
        refused = list(dict.fromkeys(refused))
        raise Refused(_message(refused), code="asset_not_readable", status=422, fields=fields,
                      extra={"assets": refused})


def _message(ids: list[int]) -> str:
    return _("You may not use image %(ids)s: it does not exist or you may not see it. Use an image you "
             "uploaded or one shown in a post you can read.", ids="、".join(f"#{i}" for i in ids))


def record_uses(post: Post, ids: Iterable[int]) -> None:
    """The post uses these images from now on (called with each new revision's references)."""
    for asset_id in dict.fromkeys(ids):
        if db.session.get(AssetUse, (post.id, asset_id)) is None:
            db.session.add(AssetUse(post_id=post.id, asset_id=asset_id))
