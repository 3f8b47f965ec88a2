"""What the content feature does: drafts as immutable revisions, rendering from the target
channel's theme, checks, fixes, search, images and autosave. Views and the API both call these."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import joinedload

from cms import workdays
from cms.articles.render import asset_references, plain_text, render_article, wrap_for_preview
from cms.articles.themes import Theme
from cms.audit.service import record
from cms.channels.models import Channel
from cms.content import asset_policy, checks, images, rules
from cms.content.models import (
    CATEGORIES,
    IMAGE_SOURCES,
    SOURCE_KINDS,
    STATUSES,
    Asset,
    Blob,
    DraftBuffer,
    ForbiddenWord,
    Post,
    PostSearch,
    Revision,
    post_channel,
)
from cms.content.near import near_candidates
from cms.content.policy import can_clear_confidential, can_create, can_edit, visible_posts
from cms.content.review_hooks import review
from cms.dbtypes import db_int
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.holidays import service as holidays
from cms.transactions import operation

TEXT_FIELDS = {"title": 200, "author": 64, "digest": 400}
EDITABLE_STATES = ("draft", "rejected")
ASSET_URL = re.compile(r"/assets/(\d+)")


# --- input ---------------------------------------------------------------------------------------

def parse_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate post fields (API.md "Post fields"); Refused names every bad field at once."""
    out: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def bad(name, message):
        errors.setdefault(name, []).append(message)

    for name, limit in TEXT_FIELDS.items():
        if name in data:
            value = data[name]
            if not isinstance(value, str):
                bad(name, _("Must be text."))
            elif len(value) > limit:
                bad(name, _("At most %(n)d characters.", n=limit))
            else:
                out[name] = value.strip()
    if not partial and not out.get("title"):
        bad("title", _("A title is required."))
    if "body" in data:
        body = data["body"]
        if not isinstance(body, dict) or body.get("format") not in ("markdown", "html") \
                or not isinstance(body.get("text"), str):
            bad("body", _("body is {format: markdown|html, text}."))
        else:
            out["body_format"], out["body_source"] = body["format"], body["text"]
    elif not partial:
        out["body_format"], out["body_source"] = "markdown", ""
    if "category" in data or not partial:
        if data.get("category") not in CATEGORIES:
            bad("category", _("Choose a category (C3)."))
        else:
            out["category"] = data["category"]
    if "source" in data:
        source = data["source"] or {}
        if not isinstance(source, dict) or source.get("kind", "") not in ("", *SOURCE_KINDS):
            bad("source", _("source.kind is original or reprint."))
        elif not all(isinstance(source.get(k) or "", str) for k in ("name", "url", "author")):
            bad("source", _("source.name, source.url and source.author are text."))
        else:
            url = (source.get("url") or "").strip()
            if url and not re.match(r"^https?://[^\s]+$", url):
                bad("source", _("The source URL must start with http:// or https://."))
            out.update(source_kind=source.get("kind", ""), source_name=(source.get("name") or "").strip()[:200],
                       source_url=url[:1000], source_author=(source.get("author") or "").strip()[:64])
    if "channels" in data:
        ids = data["channels"]
        if not isinstance(ids, list) or not all(db_int(i) for i in ids):  # a number past an id's range names nothing
            bad("channels", _("A list of channel ids."))
        else:
            found = db.session.scalars(select(Channel).where(Channel.id.in_(ids), Channel.active)).all()
            if len(found) != len(set(ids)):
                bad("channels", _("Unknown channel."))
            out["channels"] = sorted(set(ids))
    if "planned_date" in data:
        value = data["planned_date"]
        try:
            out["planned_date"] = date.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            bad("planned_date", _("A date YYYY-MM-DD."))
    if "urgency" in data:
        if data["urgency"] not in ("regular", "urgent"):
            bad("urgency", _("regular or urgent."))
        else:
            out["urgency"] = data["urgency"]
    for flag in ("important", "open_comments", "confidential"):
        if flag in data:
            if not isinstance(data[flag], bool):
                bad(flag, _("true or false."))
            else:
                out[flag] = data[flag]
    if "cover_focus" in data:
        focus = data["cover_focus"]
        try:
            x, y = float(focus["x"]), float(focus["y"])
            if not (0 <= x <= 1 and 0 <= y <= 1):
                raise ValueError
        except (TypeError, KeyError, ValueError):
            bad("cover_focus", _("cover_focus is {x, y}, each between 0 and 1."))
        else:
            out["cover_focus_x"], out["cover_focus_y"] = x, y
    if "cover_asset_id" in data:
        value = data["cover_asset_id"]
        # Whether the image exists and may be used is asked with the body's images when the revision
        # is made (asset_policy.check_references), with one message for both.
        if value is not None and not db_int(value):
            bad("cover_asset_id", _("No such image."))
        else:
            out["cover_asset_id"] = value
    if errors:
        raise Refused(_("Please correct: %(fields)s", fields="、".join(errors)), code="invalid", status=400,
                      fields=errors)
    return out


# --- revisions -----------------------------------------------------------------------------------

def _revision_fields(rev: Revision | None) -> dict[str, Any]:
    if rev is None:
        return {"title": "", "author": "", "digest": "", "body_format": "markdown", "body_source": "",
                "source_kind": "", "source_name": "", "source_url": "", "source_author": "", "cover_asset_id": None,
                "cover_focus_x": 0.5, "cover_focus_y": 0.5}
    return {k: getattr(rev, k) for k in ("title", "author", "digest", "body_format", "body_source", "source_kind",
                                          "source_name", "source_url", "source_author", "cover_asset_id",
                                          "cover_focus_x", "cover_focus_y")}


def post_meta(post: Post) -> dict[str, Any]:
    return {"category": post.category, "channels": [c.id for c in post.channels], "urgency": post.urgency,
            "important": post.important, "confidential": post.confidential, "open_comments": post.open_comments,
            "planned_date": post.planned_date.isoformat() if post.planned_date else None}


def theme_for(post: Post) -> Theme:
    """The theme of the first target WeChat channel (then any channel), else the default (C10)."""
    return _theme_of(post.channels)


def _theme_of(channels) -> Theme:
    ordered = sorted(channels, key=lambda c: (c.platform != "wechat", c.id))
    return ordered[0].theme_obj() if ordered else Theme()


def preview_html(data: dict) -> str:
    """The article as a phone shows it, from what the editor holds now: nothing is saved."""
    rendered = ("title", "author", "digest", "body", "source", "channels")  # the rest does not show
    fields = parse_fields({k: data[k] for k in rendered if k in data}, partial=True)
    channels = db.session.scalars(select(Channel).where(Channel.id.in_(fields.get("channels", [])))).all()
    theme = _theme_of(channels)
    rev = {k: v for k, v in {**_revision_fields(None), **fields}.items() if k in _revision_fields(None)}
    html = render_article(rev["body_source"], rev["body_format"], theme, attribution=_attribution(rev))
    return wrap_for_preview(html, rev["title"], rev["author"], theme)


def _content_hash(fields: dict, meta: dict) -> str:
    text = json.dumps({**fields, "meta": meta}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _attribution(fields: dict) -> dict | None:
    if fields["source_kind"] != "reprint":
        return None
    return {"kind": "reprint", "name": fields["source_name"], "url": fields["source_url"],
            "author": fields["source_author"]}


def _new_revision(user, post: Post, fields: dict, *, based_on: int | None, note: str = "") -> Revision:
    html = render_article(fields["body_source"], fields["body_format"], theme_for(post),
                          attribution=_attribution(fields))
    used = asset_references(html)
    # A revision shows only images its writer may read (or the post used already): else naming
    # /assets/N in one's own draft would read anyone's picture. Refused before anything is written.
    asset_policy.check_references(user, used, fields["cover_asset_id"], post if post.id else None)
    meta = post_meta(post)
    rev = Revision(post=post, number=post.revision_count + 1, based_on=based_on, written_by_id=user.id,
                   note=note[:200], html=html, meta=meta, content_hash=_content_hash(fields, meta),
                   simhash=_signed(checks.article_simhash(html)), **fields)
    post.revision_count = rev.number
    post.title = fields["title"]
    post.updated_at = workdays.now()
    db.session.add(rev)
    _index(post, fields["title"], html)  # flushes: the post has its id
    asset_policy.record_uses(post, [*used, *([fields["cover_asset_id"]] if fields["cover_asset_id"] else [])])
    return rev


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _index(post: Post, title: str, html: str) -> None:
    db.session.flush()
    row = db.session.get(PostSearch, post.id)
    body = plain_text(html)
    if row is None:
        db.session.add(PostSearch(post_id=post.id, title=title, body=body))
    else:
        row.title, row.body = title, body


def _apply_post_fields(post: Post, fields: dict) -> dict:
    """Move post-level fields onto the post; return the revision fields."""
    for name in ("category", "urgency", "important", "open_comments", "planned_date", "confidential"):
        if name in fields:
            setattr(post, name, fields.pop(name))
    if "channels" in fields:
        post.channels = list(db.session.scalars(select(Channel).where(Channel.id.in_(fields.pop("channels")))))
    return fields


@operation
def create_post(user, data: dict) -> Post:
    fields = parse_fields(data)
    if not can_create(user):
        raise Refused(_("Only contributors of a department file posts."), code="forbidden", status=403)
    post = Post(department_id=user.department_id, created_by_id=user.id, category=fields["category"],
                revision_count=0)
    # C9: a recommended article (文章推荐及其他消息) starts as a reprint.
    if fields["category"] == "recommended" and not fields.get("source_kind"):
        fields["source_kind"] = "reprint"
    db.session.add(post)
    rev_fields = {**_revision_fields(None), **_apply_post_fields(post, fields)}
    rev = _new_revision(user, post, rev_fields, based_on=None)
    db.session.flush()
    record("post.created", post, after={"revision": rev.number, "title": rev.title, "hash": rev.content_hash})
    db.session.query(DraftBuffer).filter_by(user_id=user.id, post_id=None).delete()
    db.session.commit()
    return post


def get_post(user, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not db.session.scalar(visible_posts(user, select(Post.id).where(Post.id == post_id))):
        raise NotFound(_("No such post."), code="not_found")
    return post


@operation
def save(user, post: Post, data: dict, base_revision: int | None, note: str = "") -> Revision:
    """An edit: a new revision. Saving over a newer revision than the one the edit started from is
    refused with both versions, so nothing is overwritten."""
    if not can_edit(user, post):
        raise Refused(_("You may not edit this post in its current state."), code="forbidden", status=403)
    if not isinstance(base_revision, int) or isinstance(base_revision, bool):
        raise Refused(_("base_revision (the revision number the edit started from) is required."),
                      code="invalid", status=400, fields={"base_revision": [_("Required.")]})
    fields = parse_fields(data, partial=True)
    refusal = rules.confidential_change(post.confidential, fields.get("confidential", post.confidential),
                                        can_clear_confidential(user, post))
    if refusal:
        raise Refused(_(refusal), code="C5", fields={"confidential": [_(refusal)]})
    current = post.current
    if base_revision != current.number:
        raise Conflict(_("Revision %(n)d was saved by %(who)s after you started editing revision %(b)d.",
                         n=current.number, who=current.written_by.real_name, b=base_revision),
                       code="stale_revision", extra={"current_revision": current.number})
    rev_fields = {**_revision_fields(current), **_apply_post_fields(post, fields)}
    if _content_hash(rev_fields, post_meta(post)) == current.content_hash:
        db.session.rollback()
        return current  # nothing changed: no new revision
    rev = _new_revision(user, post, rev_fields, based_on=base_revision, note=note)
    db.session.flush()
    review().after_revision(user, post, rev, current)  # C7: a may-edit step goes on; the author's edit restarts
    record("post.revised", post, before={"revision": current.number, "hash": current.content_hash},
           after={"revision": rev.number, "hash": rev.content_hash, "note": note})
    db.session.query(DraftBuffer).filter_by(user_id=user.id, post_id=post.id).delete()
    db.session.commit()
    return rev


@operation
def clear_confidential(user, post: Post, reason: str) -> Post:
    """The platform supervisor of the post's channels clears C5's flag, with a reason kept in the
    audit trail."""
    if not can_clear_confidential(user, post):
        raise Refused(_("Only the platform supervisor of the post's channels clears the confidential flag (C5)."),
                      code="C5", status=403)
    if not post.confidential:
        raise Refused(_("The post is not marked confidential."), code="conflict", status=409)
    if not reason.strip():
        raise Refused(_("Give the reason for clearing the flag (C5)."), code="C5", fields={"reason": [_("Required.")]})
    post.confidential = False
    record("post.confidential_cleared", post, before={"confidential": True},
           after={"confidential": False, "reason": reason.strip()[:500]})
    db.session.commit()
    return post


@operation
def restore(user, post: Post, number: int) -> Revision:
    """An old revision's words become a new revision; history stays as it was."""
    old = revision(post, number)
    data = {"title": old.title, "author": old.author, "digest": old.digest,
            "body": {"format": old.body_format, "text": old.body_source},
            "source": {"kind": old.source_kind, "name": old.source_name, "url": old.source_url,
                       "author": old.source_author}, "cover_asset_id": old.cover_asset_id}
    return save(user, post, data, post.current.number, note=_("Restored from revision %(n)d", n=number))


def revision(post: Post, number: int) -> Revision:
    rev = db.session.scalar(select(Revision).where(Revision.post_id == post.id, Revision.number == number))
    if rev is None:
        raise NotFound(_("No revision %(n)d.", n=number), code="not_found")
    return rev


def diff(post: Post, a: int, b: int):
    """Per changed field, the side-by-side rows between revisions a and b."""
    from cms.content.diff import revision_diff

    return revision_diff(_revision_fields(revision(post, a)), _revision_fields(revision(post, b)))


# --- checks and fixes ----------------------------------------------------------------------------

_wordlist_cache: dict[str, Any] = {"key": None, "list": None}


def wordlist() -> checks.WordList:
    """The compiled forbidden-word list (C15), rebuilt only when the table changed."""
    key = db.session.execute(select(func.count(ForbiddenWord.id), func.max(ForbiddenWord.id))).one()
    key = (tuple(key), _wordlist_cache.get("generation"))
    if _wordlist_cache["key"] != key:
        terms: dict[str, list[str]] = {}
        for category, term in db.session.execute(select(ForbiddenWord.category, ForbiddenWord.term)):
            terms.setdefault(category, []).append(term)
        _wordlist_cache.update(key=key, list=checks.WordList(terms))
    return _wordlist_cache["list"]


def word_lists() -> dict[str, list[str]]:
    """The forbidden words by category, sorted (C15)."""
    current: dict[str, list[str]] = {}
    for category, term in db.session.execute(select(ForbiddenWord.category, ForbiddenWord.term)
                                             .order_by(ForbiddenWord.category, ForbiddenWord.term)):
        current.setdefault(category, []).append(term)
    return current


@operation
def set_word_lists(lists: dict[str, list[str]]) -> int:
    """Replace the forbidden words of the categories given whose terms changed (administrators,
    C15), in one transaction, each audited; the number of lists changed."""
    current = word_lists()
    changed = 0
    for category, terms in lists.items():
        clean = sorted({t.strip() for t in terms if t.strip()})
        if not re.match(r"^[a-z_]{1,32}$", category):
            raise Refused(_("Unknown word category."), code="invalid", status=400)
        if any(len(t) > 100 for t in clean):
            raise Refused(_("A term is at most 100 characters."), code="invalid", status=400)
        if clean == current.get(category, []):
            continue
        db.session.execute(delete(ForbiddenWord).where(ForbiddenWord.category == category))
        db.session.add_all(ForbiddenWord(category=category, term=t) for t in clean)
        record("words.replaced", ("word_category", category), before={"count": len(current.get(category, []))},
               after={"count": len(clean)})
        changed += 1
    _wordlist_cache["generation"] = (_wordlist_cache.get("generation") or 0) + 1
    db.session.commit()
    return changed


def _image_infos(html: str) -> tuple[checks.ImageInfo, ...]:
    infos = []
    for index, m in enumerate(re.finditer(r"<img\b[^>]*>", html), start=1):
        tag = m.group(0)
        src = re.search(r'src="([^"]*)"', tag)
        alt = re.search(r'alt="([^"]*)"', tag)
        found = ASSET_URL.search(src.group(1)) if src else None
        asset = db.session.get(Asset, int(found.group(1))) \
            if found and int(found.group(1)) <= asset_policy.MAX_ID else None
        if asset is None:
            # a foreign image: its source is unknown, so it counts as a reprint without credit (C14)
            infos.append(checks.ImageInfo(index=index, source="reprint", caption=alt.group(1) if alt else ""))
        else:
            infos.append(checks.ImageInfo(index=index, source=asset.source, credit=asset.credit,
                                          width=asset.blob.width, height=asset.blob.height,
                                          caption=alt.group(1) if alt else ""))
    return tuple(infos)


def article_for(post: Post, rev: Revision) -> checks.Article:
    return checks.Article(
        title=rev.title, author=rev.author, digest=rev.digest, body_format=rev.body_format,
        body_source=rev.body_source, html=rev.html, category=post.category, source_kind=rev.source_kind,
        source_name=rev.source_name, source_url=rev.source_url, source_author=rev.source_author,
        images=_image_infos(rev.html), planned_date=post.planned_date, urgency=post.urgency)


def check_context(post: Post) -> checks.CheckContext:
    archive = near_candidates(post)
    return checks.CheckContext(
        theme=theme_for(post), words=wordlist(), archive=[(pid, h & (2**64 - 1)) for pid, h in archive],
        today=workdays.today(), notice_days=current_app.config["NOTICE_DAYS"],
        is_workday=holidays.is_workday)  # C12: chinese-calendar and the days administrators entered


def findings(post: Post) -> list[checks.Finding]:
    return checks.run_checks(article_for(post, post.current), check_context(post))


@operation
def apply_fix(user, post: Post, fix: str, base_revision: int) -> Revision:
    """One click: the fix applied as a new revision."""
    if fix not in checks.FIXES:
        raise Refused(_("Unknown fix."), code="invalid", status=400)
    current = post.current
    fixed = checks.apply_fix({"title": current.title, "author": current.author, "digest": current.digest,
                              "body_source": current.body_source, "body_format": current.body_format}, fix)
    data = {"title": fixed["title"], "author": fixed["author"], "digest": fixed["digest"],
            "body": {"format": fixed["body_format"], "text": fixed["body_source"]}}
    return save(user, post, data, base_revision, note=_("Automatic fix: %(fix)s", fix=fix))


# --- listing and search --------------------------------------------------------------------------

def search_ids(q: str):
    """Post ids matching q (3 characters or more) in titles and bodies, by trigram index."""
    q = q.strip()
    if db.engine.dialect.name == "sqlite":
        from sqlalchemy import text

        phrase = '"' + q.replace('"', '""') + '"'
        return select(text("rowid")).select_from(text("post_fts")).where(text("post_fts MATCH :q")).params(q=phrase)
    return select(PostSearch.post_id).where(or_(PostSearch.title.contains(q, autoescape=True),
                                                PostSearch.body.contains(q, autoescape=True)))


def list_posts(user, *, status=None, channel=None, category=None, author=None, department=None, q=None):
    # department and author are shown on every row: loaded with the page, not one query a row
    query = visible_posts(user, select(Post)).options(joinedload(Post.department), joinedload(Post.created_by)) \
        .order_by(Post.created_at.desc(), Post.id.desc())
    if status:
        if status not in STATUSES:
            raise Refused(_("Unknown status: %(s)s", s=status), code="invalid", status=400)
        query = query.where(Post.status == status)
    if category:
        query = query.where(Post.category == category)
    if channel:
        query = query.where(Post.id.in_(select(post_channel.c.post_id).where(post_channel.c.channel_id == channel)))
    if author:
        query = query.where(Post.created_by_id == author)
    if department:
        query = query.where(Post.department_id == department)
    if q:
        q = q.strip()
        # One or two characters are shorter than a trigram: filter the titles on the post itself,
        # so the newest-first index is walked and the scan stops at a page's worth.
        query = query.where(Post.title.contains(q, autoescape=True) if len(q) < 3 else Post.id.in_(search_ids(q)))
    return query


def post_authors(user) -> list:
    """The people who filed posts this user may see (the list's author filter)."""
    from cms.auth.models import User

    ids = visible_posts(user, select(Post.created_by_id)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


# --- images --------------------------------------------------------------------------------------

@operation
def upload_asset(user, data: bytes, source: str, credit: str = "") -> Asset:
    """An image, sniffed, cleaned (EXIF and GPS gone) and stored once by content (C14 source)."""
    if source not in IMAGE_SOURCES:
        raise Refused(_("Declare the image's source: own, licensed or reprint (C14)."), code="C14",
                      fields={"source": [_("Required.")]})
    if source == "reprint" and not credit.strip():
        raise Refused(_("A reprinted image needs its credit (C14)."), code="C14", fields={"credit": [_("Required.")]})
    try:
        img = images.load_image(data)
    except images.ImageRejected as e:
        raise Refused(str(e), code="invalid_image", fields={"file": [str(e)]}) from None
    blob = db.session.scalar(select(Blob).where(Blob.sha256 == img.sha256))
    if blob is None:
        blob = Blob(sha256=img.sha256, format=img.format, width=img.width, height=img.height, bytes=img.bytes,
                    data=img.data)
        db.session.add(blob)
        db.session.flush()
    asset = Asset(blob=blob, source=source, credit=credit.strip()[:200], uploaded_by_id=user.id)
    db.session.add(asset)
    db.session.flush()
    record("asset.uploaded", asset, after={"sha256": img.sha256, "source": source, "credit": credit})
    db.session.commit()
    return asset


def get_asset(user, asset_id: int) -> Asset:
    """An image the user may see (asset_policy.can_view: its uploader, or whoever may see a post that
    used it). Others get 404, as for a missing one (an image can belong to a C5 post)."""
    asset = db.session.get(Asset, asset_id) if 0 < asset_id <= asset_policy.MAX_ID else None
    if asset is None or not asset_policy.can_view(user, asset):
        raise NotFound(_("No such image."), code="not_found")
    return asset


def referable_assets(user, post: Post | None = None) -> list[Asset]:
    """The images the editor offers as cover: the user's own uploads, then the ones this post used."""
    query = select(Asset).where(Asset.uploaded_by_id == user.id)
    if post is not None and post.id is not None:
        from cms.content.models import AssetUse

        query = select(Asset).where(or_(Asset.uploaded_by_id == user.id, Asset.id.in_(
            select(AssetUse.asset_id).where(AssetUse.post_id == post.id))))
    return list(db.session.scalars(query.order_by(Asset.id.desc())))


COVER_RATIOS = ("2.35:1", "1:1")


def cover_crop(user, post: Post, ratio: str, focus: tuple[float, float] | None = None) -> images.StoredImage:
    """The current revision's cover cropped at `ratio` around its focus (or a focus being tried);
    like the image itself, only for someone who may see it (asset_policy.can_view)."""
    rev = post.current
    if rev.cover_asset_id is None:
        raise NotFound(_("This post has no cover image."), code="not_found")
    if ratio not in COVER_RATIOS:
        raise NotFound(_("Covers are cropped at 2.35:1 or 1:1."), code="not_found")
    blob = get_asset(user, rev.cover_asset_id).blob
    stored = images.StoredImage(data=blob.data, format=blob.format, width=blob.width, height=blob.height,
                                bytes=blob.bytes, sha256=blob.sha256)
    try:
        return images.crop_cover(stored, ratio, focus or (rev.cover_focus_x, rev.cover_focus_y))
    except ValueError as e:
        raise Refused(str(e), code="invalid", status=400) from None


def quality_warning(asset: Asset) -> str | None:
    return images.quality_warning(images.StoredImage(
        data=b"", format=asset.blob.format, width=asset.blob.width, height=asset.blob.height,
        bytes=asset.blob.bytes, sha256=asset.blob.sha256))


# --- autosave ------------------------------------------------------------------------------------

@operation
def autosave(user, post: Post | None, data: dict, base_revision: int | None) -> DraftBuffer:
    if post is not None and not can_edit(user, post):
        raise Refused(_("You may not edit this post in its current state."), code="forbidden", status=403)
    if len(json.dumps(data, ensure_ascii=False)) > 1_000_000:
        raise Refused(_("The draft is too large."), code="too_large", status=413)
    post_id = post.id if post else None
    buffer = db.session.scalar(select(DraftBuffer).where(DraftBuffer.user_id == user.id,
                                                         DraftBuffer.post_id.is_(None) if post_id is None
                                                         else DraftBuffer.post_id == post_id))
    if buffer is None:
        buffer = DraftBuffer(user_id=user.id, post_id=post_id, data=data, base_revision=base_revision)
        db.session.add(buffer)
    else:
        buffer.data, buffer.base_revision, buffer.updated_at = data, base_revision, workdays.now()
    db.session.commit()
    return buffer


def autosaved(user, post: Post | None) -> DraftBuffer | None:
    post_id = post.id if post else None
    return db.session.scalar(select(DraftBuffer).where(
        DraftBuffer.user_id == user.id,
        DraftBuffer.post_id.is_(None) if post_id is None else DraftBuffer.post_id == post_id))
