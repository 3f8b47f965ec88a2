"""The website channel's publishing and what its public pages and feed read.

`publish()` and `withdraw()` are the website adapter's remote calls: the publisher calls them
inside its own transaction (they add and flush, never commit). Pages and the feed only ever show
SitePage rows, which only `publish()` makes: a draft or an unapproved post cannot appear."""
from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from cms import workdays
from cms.archive.service import asset_ids, rewrite_images
from cms.articles.sanitize import sanitize_html
from cms.audit.service import record as audit
from cms.channels.models import Channel
from cms.content.models import Asset, Blob, Post
from cms.extensions import db
from cms.site.models import SitePage

FEED_SIZE = 20
ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry at all: a stray one in a title must not break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def page_path(slug: str) -> str:
    return f"/p/{slug}"


def _check_website(channel: Channel) -> None:
    if channel.platform != "website":
        raise ValueError(f"{channel!r} is not a website channel")


def _page(post: Post, channel: Channel) -> SitePage | None:
    return db.session.scalar(select(SitePage).where(SitePage.channel_id == channel.id, SitePage.post_id == post.id))


def _new_slug(post: Post) -> str:
    while True:
        slug = f"{post.id}-{secrets.token_hex(6)}"
        if db.session.scalar(select(SitePage.id).where(SitePage.slug == slug)) is None:
            return slug


def publish(post: Post, revision, channel: Channel) -> str:
    """Put `revision` live on the website channel (a correction replaces the live version under
    the same slug; a withdrawn page comes back). Returns the page's path, `/p/<slug>`."""
    _check_website(channel)
    if revision.post_id != post.id:
        raise ValueError("the revision belongs to another post")
    now = workdays.now()
    page = _page(post, channel)
    before = None
    if page is None:
        page = SitePage(channel_id=channel.id, post_id=post.id, slug=_new_slug(post), first_published_at=now)
        db.session.add(page)
    else:
        before = {"revision": page.revision_number, "hash": page.content_hash,
                  "withdrawn": page.withdrawn_at is not None}
    page.revision_number = revision.number
    page.content_hash = revision.content_hash
    page.title = revision.title
    page.author = revision.author or ""
    page.digest = revision.digest or ""
    page.html = sanitize_html(revision.html or "")  # sanitised when saved; again, as it goes public
    page.cover_asset_id = revision.cover_asset_id
    page.published_at = now
    page.withdrawn_at = None
    db.session.flush()
    audit("site.page_published", ("site_page", page.id), before=before, after={
        "post": post.id, "channel": channel.id, "slug": page.slug, "revision": revision.number,
        "hash": revision.content_hash})
    return page_path(page.slug)


def withdraw(post: Post, channel: Channel) -> None:
    """Take the page down: it answers 410 Gone and leaves the feed. Nothing to do if never live."""
    _check_website(channel)
    page = _page(post, channel)
    if page is None or page.withdrawn_at is not None:
        return
    page.withdrawn_at = workdays.now()
    db.session.flush()
    audit("site.page_withdrawn", ("site_page", page.id), after={
        "post": post.id, "channel": channel.id, "slug": page.slug, "revision": page.revision_number})


# --- reading ------------------------------------------------------------------------------------

def page_by_slug(slug: str) -> SitePage | None:
    return db.session.scalar(select(SitePage).where(SitePage.slug == slug))


def served_html(page: SitePage, image_url: Callable[[int], str]) -> str:
    """The page body with each of our images pointed at the page's public image route."""
    return rewrite_images(page.html, {f"/assets/{i}": image_url(i) for i in asset_ids(page.html)})


def page_image(page: SitePage, asset_id: int) -> Blob | None:
    """An image's bytes, only while the page is live and only if its body shows that image."""
    if not page.live or asset_id not in asset_ids(page.html):
        return None
    asset = db.session.get(Asset, asset_id)
    return asset.blob if asset else None


def feed_channel(slug: str) -> Channel | None:
    return db.session.scalar(select(Channel).where(Channel.slug == slug, Channel.platform == "website",
                                                   Channel.active.is_(True)))


def feed_pages(channel: Channel, limit: int = FEED_SIZE) -> list[SitePage]:
    return list(db.session.scalars(
        select(SitePage).where(SitePage.channel_id == channel.id, SitePage.withdrawn_at.is_(None))
        .order_by(SitePage.published_at.desc(), SitePage.id.desc()).limit(limit)))


def _text(value: str) -> str:
    return _NOT_XML.sub("", value or "")


def _time(dt: datetime) -> str:
    return workdays.local(dt).replace(microsecond=0).isoformat()


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _text(text)
    return el


def atom(channel: Channel, pages: list[SitePage], *, feed_url: str, page_url: Callable[[SitePage], str],
         image_url: Callable[[SitePage, int], str]) -> bytes:
    """An Atom 1.0 document (RFC 4287); ElementTree escapes every text and attribute."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "zh-CN"})
    _add(feed, "id", feed_url)
    _add(feed, "title", channel.name)
    _add(feed, "updated", _time(max((p.published_at for p in pages), default=channel.created_at)))
    _add(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _add(_add(feed, "author"), "name", channel.name)
    for p in pages:
        url = page_url(p)
        entry = _add(feed, "entry")
        _add(entry, "id", url)
        _add(entry, "title", p.title, type="text")
        _add(entry, "updated", _time(p.published_at))
        _add(entry, "published", _time(p.first_published_at))
        _add(_add(entry, "author"), "name", p.author or channel.name)
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        if p.digest:
            _add(entry, "summary", p.digest, type="text")
        _add(entry, "content", served_html(p, lambda i, p=p: image_url(p, i)), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
