"""The archive (C13): `record()` keeps each publishing outcome; listing, one record, and the zip
export read them back for whoever may read archives (object-level: a channel-scoped reader sees
only their channels' records).

`record()` runs inside the publisher's transaction: it adds and flushes, never commits."""
from __future__ import annotations

import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from cms import workdays
from cms.archive.models import ACTIONS, ArchiveRecord
from cms.audit import origin
from cms.audit.service import record as audit
from cms.content.models import Asset, Blob, Post
from cms.dbtypes import DB_INT_MAX
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.permissions import role_grants

READ = "archive.read"
MAX_EXPORT_DAYS = 366
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)  # the dates a filter may name
MAX_ID = DB_INT_MAX  # larger numbers cannot be bound as database integers (PostgreSQL's are 32-bit): they name nothing
ASSET_SRC = re.compile(r"^/assets/(\d+)$")
EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif"}


# --- what a record holds ---------------------------------------------------------------------------

class _ImageSources(HTMLParser):
    """The `src` of every <img>, in order (entities decoded, as a browser reads them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            src = dict(attrs).get("src")
            if src and src.strip():
                self.sources.append(src.strip())

    handle_startendtag = handle_starttag


def image_sources(html_text: str) -> list[str]:
    parser = _ImageSources()
    parser.feed(html_text or "")
    parser.close()
    return parser.sources


def asset_ids(html_text: str) -> list[int]:
    """The ids of our own images (`/assets/<id>`) an HTML body shows, each once, in order."""
    seen: list[int] = []
    for src in image_sources(html_text):
        m = ASSET_SRC.match(src)
        if m and int(m.group(1)) not in seen:
            seen.append(int(m.group(1)))
    return seen


def _asset_entry(src: str, role: str, asset_id: int) -> dict:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        return {"src": src, "role": role, "asset_id": asset_id, "missing": True}
    blob = asset.blob
    return {"src": src, "role": role, "asset_id": asset_id, "sha256": blob.sha256, "format": blob.format,
            "bytes": blob.bytes, "width": blob.width, "height": blob.height, "source": asset.source,
            "credit": asset.credit}


def image_entries(html_text: str, cover_asset_id: int | None) -> list[dict]:
    """Every image the article shows (and its cover): our own by SHA-256, foreign ones by URL."""
    entries: list[dict] = []
    seen: set[str] = set()
    for src in image_sources(html_text):
        if src in seen:
            continue
        seen.add(src)
        m = ASSET_SRC.match(src)
        entries.append(_asset_entry(src, "body", int(m.group(1))) if m
                       else {"src": src, "role": "body", "external": True})
    if cover_asset_id is not None:
        entries.append(_asset_entry(f"/assets/{cover_asset_id}", "cover", cover_asset_id))
    return entries


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def approvals_of(post: Post, revision) -> list[dict]:
    """The C11 signature trail as it stands now, copied: every decision (stale ones flagged), and
    whether it was given on exactly the revision and hash that went out."""
    from cms.workflow.queries import signatures

    out = []
    for r in signatures(post):
        out.append({
            "username": r.user.username, "real_name": r.user.real_name, "role": r.role, "action": r.action,
            "step": r.step, "round": r.round, "revision": r.revision, "hash": r.revision_hash,
            "comment": r.comment, "at": _iso(r.created_at), "stale": bool(r.stale),
            "on_behalf_of": r.on_behalf_of.username if r.on_behalf_of else None,
            "on_behalf_of_name": r.on_behalf_of.real_name if r.on_behalf_of else None,
            "detail": r.detail or {},
            "on_published_revision": r.revision == revision.number and r.revision_hash == revision.content_hash,
        })
    return out


def request_of(post: Post, revision) -> dict:
    """The C11 request form's fields, copied."""
    from cms.workflow.queries import active_submission

    sub = active_submission(post)
    return {
        "department": post.department.name if post.department else "",
        "contributor": post.created_by.real_name if post.created_by else "",
        "contributor_username": post.created_by.username if post.created_by else "",
        "category": post.category, "urgency": post.urgency, "important": post.important,
        "confidential": post.confidential,
        "planned_date": post.planned_date.isoformat() if post.planned_date else None,
        "channels": [c.name for c in post.channels],
        "source": {"kind": revision.source_kind, "name": revision.source_name, "url": revision.source_url,
                   "author": revision.source_author},
        "revision_written_by": revision.written_by.username if revision.written_by else "",
        "revision_created_at": _iso(revision.created_at),
        "workflow": None if sub is None else {
            "template": sub.version.template.key, "version": sub.version.number, "round": sub.round,
            "state": sub.state, "reasons": sub.reasons or {}, "push": sub.push or {},
            "approved_at": _iso(sub.approved_at),
            "publish_day": sub.publish_day.isoformat() if sub.publish_day else None},
    }


def _actor_name() -> str:
    actor = origin.current()[0]
    return actor.username if actor is not None else ""


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def record(*, post: Post, revision, channel, action: str, remote_ids: dict | None = None, url: str = "",
           push: bool | None = None, at: datetime | None = None, withdrawal: dict | None = None) -> ArchiveRecord:
    """Archive one outcome (C13) in the caller's transaction (flushed, not committed). A withdrawn or
    corrected outcome carries its `withdrawal` (kind, reason, who asked, who approved, when),
    kept with the request form's fields."""
    if action not in ACTIONS:
        raise ValueError(f"unknown archive action {action!r}: one of {ACTIONS}")
    if revision.post_id != post.id:
        raise ValueError("the revision belongs to another post")
    request = request_of(post, revision)
    if withdrawal is not None:
        request["withdrawal"] = withdrawal
    rec = ArchiveRecord(
        at=at or workdays.now(), action=action, post_id=post.id, channel_id=channel.id,
        channel_name=channel.name, channel_platform=channel.platform, revision_number=revision.number,
        content_hash=revision.content_hash, title=revision.title, author=revision.author or "",
        digest=revision.digest or "", html=revision.html,
        images=_json(image_entries(revision.html, revision.cover_asset_id)),
        approvals=_json(approvals_of(post, revision)), request=_json(request),
        remote_ids=_json(remote_ids or {}), url=url or "", push=push, recorded_by=_actor_name(),
    )
    db.session.add(rec)
    db.session.flush()
    audit("archive.recorded", ("archive_record", rec.id), after={
        "post": post.id, "channel": channel.id, "action": action, "revision": revision.number,
        "hash": revision.content_hash, "url": rec.url, "push": push,
        "images": sorted({i["sha256"] for i in rec.images if i.get("sha256")})})
    return rec


# --- who reads what --------------------------------------------------------------------------------

def readable_channels(user) -> set[int] | None:
    """None: every channel (a global holder of archive.read); else the channels a scoped role covers."""
    grants = [r for r in user.roles if role_grants(r.role, READ)]
    if any(r.scope_type is None for r in grants):
        return None
    return {r.scope_id for r in grants if r.scope_type == "channel"}


def visible(user, query: Select) -> Select:
    channels = readable_channels(user)
    return query if channels is None else query.where(ArchiveRecord.channel_id.in_(channels))


def get_record(user, record_id: int) -> ArchiveRecord:
    rec = None if record_id > MAX_ID else db.session.scalar(visible(user, select(ArchiveRecord).where(ArchiveRecord.id == record_id)))
    if rec is None:
        raise NotFound(_("No such archive record."), code="not_found")
    return rec


# --- filters -----------------------------------------------------------------------------------------

def id_or_none(text: str | None) -> int | None:
    """A positive database id from a query argument, else None."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and text.isascii() and 0 < int(text) <= MAX_ID else None


def parse_day(text: str | None, name: str) -> date | None:
    """YYYY-MM-DD, or None when empty; anything else is refused (400) naming the field."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else _bad_day(name)
    except ValueError:
        return _bad_day(name)
    # Far-off years would overflow on the way to UTC; nothing was published then anyway.
    return day if EARLIEST <= day <= LATEST else _bad_day(name)


def _bad_day(name: str):
    raise Refused(_("Give dates as YYYY-MM-DD."), code="invalid", status=400,
                  fields={name: [_("Not a date.")]})


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), workdays.zone())


@dataclass(frozen=True)
class Filters:
    channel_id: int | None = None
    start: date | None = None
    end: date | None = None
    q: str = ""
    post_id: int | None = None


def filtered(user, f: Filters) -> Select:
    """Records the user may read, newest first, narrowed by channel, local dates (inclusive),
    title text and post."""
    query = visible(user, select(ArchiveRecord)).order_by(ArchiveRecord.at.desc(), ArchiveRecord.id.desc())
    if f.channel_id is not None:
        query = query.where(ArchiveRecord.channel_id == f.channel_id)
    if f.post_id is not None:
        query = query.where(ArchiveRecord.post_id == f.post_id)
    if f.start is not None:
        query = query.where(ArchiveRecord.at >= _day_start(f.start))
    if f.end is not None:
        query = query.where(ArchiveRecord.at < _day_start(f.end + timedelta(days=1)))
    if f.q:
        query = query.where(ArchiveRecord.title.contains(f.q, autoescape=True))
    return query


def channel_choices(user) -> list[tuple[int, str]]:
    """(id, name) of the channels with records the user may read, by their current name: the
    channels table asked, for each channel, whether one record exists (an index probe a channel),
    instead of every record read (bench/README.md: it grew with the archive)."""
    from cms.channels.models import Channel

    channels = readable_channels(user)
    q = select(Channel.id, Channel.name).where(
        select(ArchiveRecord.id).where(ArchiveRecord.channel_id == Channel.id).exists())
    if channels is not None:
        q = q.where(Channel.id.in_(channels))
    return [(cid, name) for cid, name in db.session.execute(q.order_by(Channel.id))]


# --- export ------------------------------------------------------------------------------------------

def export_filters(user, args) -> Filters:
    """Validate an export request: ?post=<id>, or ?start=&end= (at most MAX_EXPORT_DAYS days)
    with an optional &channel=. Refused (400/404, in Chinese) otherwise."""
    post_text = (args.get("post") or "").strip()
    channel_text = (args.get("channel") or "").strip()
    channel_id = id_or_none(channel_text)
    if channel_text and channel_id is None:
        raise Refused(_("Unknown channel."), code="invalid", status=400, fields={"channel": [_("Unknown channel.")]})
    if post_text:
        if not (post_text.isdigit() and post_text.isascii()):
            raise Refused(_("Name the post by its number."), code="invalid", status=400,
                          fields={"post": [_("Not a post number.")]})
        f = Filters(post_id=id_or_none(post_text), channel_id=channel_id)
        if f.post_id is None or db.session.get(Post, f.post_id) is None or db.session.scalar(
                filtered(user, f).with_only_columns(ArchiveRecord.id).limit(1)) is None:
            raise NotFound(_("This post has no archive records you may read."), code="not_found")
        return f
    start, end = parse_day(args.get("start"), "start"), parse_day(args.get("end"), "end")
    if start is None or end is None:
        raise Refused(_("Export one post (post=) or a date range (start= and end=)."), code="invalid", status=400)
    if end < start:
        raise Refused(_("The end date is before the start date."), code="invalid", status=400,
                      fields={"end": [_("Before the start date.")]})
    if (end - start).days + 1 > MAX_EXPORT_DAYS:
        raise Refused(_("Export at most %(n)d days at a time.", n=MAX_EXPORT_DAYS), code="invalid", status=400,
                      fields={"end": [_("The range is too long.")]})
    return Filters(start=start, end=end, channel_id=channel_id)


def _local_iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return workdays.local(value).isoformat()


def folder_name(rec: ArchiveRecord) -> str:
    """`<local date>_<post id>_<channel id>_<record id>`: ASCII, so every unzip tool agrees."""
    return f"{workdays.local(rec.at).date().isoformat()}_{rec.post_id}_{rec.channel_id}_{rec.id}"


def record_json(rec: ArchiveRecord) -> dict:
    """Everything the record holds, times as ISO 8601 with the CMS_TIMEZONE offset."""
    request = dict(rec.request or {})
    if request.get("revision_created_at"):
        request["revision_created_at"] = _local_iso(request["revision_created_at"])
    if isinstance(request.get("workflow"), dict) and request["workflow"].get("approved_at"):
        request["workflow"] = {**request["workflow"], "approved_at": _local_iso(request["workflow"]["approved_at"])}
    return {
        "id": rec.id, "at": _local_iso(rec.at), "timezone": workdays.zone().key, "action": rec.action,
        "post_id": rec.post_id, "channel": {"id": rec.channel_id, "name": rec.channel_name,
                                            "platform": rec.channel_platform},
        "revision": rec.revision_number, "content_hash": rec.content_hash, "title": rec.title,
        "author": rec.author, "digest": rec.digest, "url": rec.url, "push": rec.push,
        "remote_ids": rec.remote_ids or {}, "recorded_by": rec.recorded_by,
        "images": rec.images or [],
        "approvals": [{**a, "at": _local_iso(a.get("at"))} for a in rec.approvals or []],
        "request": request, "html": rec.html,
    }


def local_images(rec: ArchiveRecord, url_for_sha) -> dict[str, str]:
    """src → replacement URL for each of our own images whose bytes we hold (by SHA-256)."""
    out = {}
    for image in rec.images or []:
        if image.get("sha256") and image.get("role") == "body":
            out[image["src"]] = url_for_sha(image["sha256"], image.get("format", ""))
    return out


def rewrite_images(html_text: str, mapping: dict[str, str]) -> str:
    """Point each <img src> named in `mapping` elsewhere (the HTML is sanitised: quoted attributes)."""
    if not mapping:
        return html_text

    def swap(m: re.Match) -> str:
        new = mapping.get(m.group(2))
        return f"{m.group(1)}{new}{m.group(3)}" if new else m.group(0)

    return re.sub(r'(<img\b[^>]*?\bsrc=")([^"]*)(")', swap, html_text)


def _blobs(shas: set[str]) -> dict[str, Blob]:
    if not shas:
        return {}
    return {b.sha256: b for b in db.session.scalars(select(Blob).where(Blob.sha256.in_(shas)))}


def write_zip(records, out: IO[bytes], meta: dict, page: Callable[..., str]) -> int:
    """Per record a folder with article.html, record.json and images/<sha256>.<ext>; index.json
    at the top. Returns the number of records written."""
    index = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for rec in records:
            folder = folder_name(rec)
            held = _blobs({i["sha256"] for i in rec.images or [] if i.get("sha256")})
            names = {}
            for sha, blob in held.items():
                name = f"images/{sha}.{EXTENSIONS.get(blob.format, 'bin')}"
                names[sha] = name
                _put(z, f"{folder}/{name}", rec.at, blob.data, zipfile.ZIP_STORED)  # compressed already
            body = rewrite_images(rec.html, local_images(rec, lambda sha, _fmt, names=names: names.get(sha, "")))
            article = page(rec=rec, body=body)
            data = record_json(rec)
            data["images"] = [{**i, "file": names.get(i.get("sha256", ""))} for i in data["images"]]
            _put(z, f"{folder}/article.html", rec.at, article)
            _put(z, f"{folder}/record.json", rec.at, json.dumps(data, ensure_ascii=False, indent=2))
            index.append({"id": rec.id, "folder": folder, "at": _local_iso(rec.at), "action": rec.action,
                          "post_id": rec.post_id, "channel": rec.channel_name, "title": rec.title,
                          "revision": rec.revision_number, "content_hash": rec.content_hash, "url": rec.url})
        _put(z, "index.json", workdays.now(), json.dumps({**meta, "count": len(index), "records": index},
                                                         ensure_ascii=False, indent=2))
    return len(index)


def _put(z: zipfile.ZipFile, name: str, at: datetime, data: str | bytes,
         compress: int = zipfile.ZIP_DEFLATED) -> None:
    """One member, dated in CMS_TIMEZONE (zip times have no zone)."""
    local = workdays.local(at)
    info = zipfile.ZipInfo(name, (max(local.year, 1980), local.month, local.day, local.hour, local.minute,
                                  local.second))
    info.compress_type = compress
    z.writestr(info, data)


def export(user, f: Filters, page: Callable[..., str]) -> tuple[str, IO[bytes], int]:
    """(file name, the zip, records) for validated filters; audited and committed. `page(rec=, body=)`
    renders one record's article.html (the web layer's template)."""
    # In memory up to 32 MB, then on disk; handed to send_file, which closes it after sending.
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    scope = ({"post": f.post_id} if f.post_id is not None
             else {"start": f.start.isoformat(), "end": f.end.isoformat()})
    if f.channel_id is not None:
        scope["channel"] = f.channel_id
    meta = {"exported_at": _local_iso(workdays.now()), "exported_by": user.username,
            "timezone": workdays.zone().key, "filter": scope}
    # Oldest first inside the zip; yield_per keeps a long range from loading every body at once.
    query = filtered(user, f).order_by(None).order_by(ArchiveRecord.at, ArchiveRecord.id)
    try:
        count = write_zip(db.session.scalars(query.execution_options(yield_per=50)), out, meta, page)
    except BaseException:
        out.close()
        raise
    audit("archive.exported", ("archive", "export"), after={**scope, "records": count})
    db.session.commit()
    out.seek(0)
    name = (f"archive-post-{f.post_id}.zip" if f.post_id is not None
            else f"archive-{f.start.isoformat()}_{f.end.isoformat()}.zip")
    return name, out, count
