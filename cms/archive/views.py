"""The archive in the browser (C13): list and filter, one record, its images, and the zip export.
Read-only: records are never edited. Every view needs archive.read; channel-scoped readers see
their channels' records only (cms.archive.service.visible)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from cms.archive import service
from cms.archive.service import READ, Filters
from cms.content import images
from cms.content.models import Blob
from cms.errors import Refused
from cms.extensions import db
from cms.keyset import keyset_page
from cms.web import requires

bp = Blueprint("archive", __name__)

ACTION_LABELS = {"published": _l("Published"), "corrected": _l("Corrected"), "withdrawn": _l("Withdrawn")}


@bp.app_template_filter("archive_action")
def _action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@bp.route("/")
@requires(READ)
def index():
    args = request.args
    problems = []
    days = {}
    for name in ("start", "end"):
        try:
            days[name] = service.parse_day(args.get(name), name)
        except Refused:
            days[name] = None
            problems.append(_("Give dates as YYYY-MM-DD."))
    f = Filters(channel_id=service.id_or_none(args.get("channel")), start=days["start"], end=days["end"],
                q=(args.get("q") or "").strip()[:100])
    page = keyset_page(service.filtered(current_user, f), (service.ArchiveRecord.at, service.ArchiveRecord.id),
                       after=args.get("after"), before=args.get("before"), per_page=30)
    return render_template("archive/index.html", page=page, args=args, problems=sorted(set(problems)),
                           channels=service.channel_choices(current_user), max_days=service.MAX_EXPORT_DAYS)


@bp.route("/<int:record_id>")
@requires(READ)
def record(record_id: int):
    rec = service.get_record(current_user, record_id)
    body = service.rewrite_images(rec.html, service.local_images(
        rec, lambda sha, _fmt: url_for("archive.image", record_id=rec.id, sha256=sha)))
    versions = db.session.scalars(service.visible(current_user, select(service.ArchiveRecord)).where(
        service.ArchiveRecord.post_id == rec.post_id).order_by(service.ArchiveRecord.at, service.ArchiveRecord.id)).all()
    return render_template("archive/record.html", rec=rec, body=body, versions=versions,
                           data=service.record_json(rec))


@bp.route("/<int:record_id>/images/<sha256>")
@requires(READ)
def image(record_id: int, sha256: str):
    """An image the record names, by its hash: the bytes that went out, whatever became of the asset."""
    rec = service.get_record(current_user, record_id)
    if not any(i.get("sha256") == sha256 for i in rec.images or []):
        abort(404)
    blob = db.session.scalar(select(Blob).where(Blob.sha256 == sha256))
    if blob is None:
        abort(404)
    response = Response(blob.data, mimetype=images.MIME.get(blob.format, "application/octet-stream"))
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.set_etag(blob.sha256)
    return response.make_conditional(request)


def _article_page(**context) -> str:
    return render_template("archive/article.html", **context)


@bp.route("/export")
@requires(READ)
def export():
    try:
        f = service.export_filters(current_user, request.args)
    except Refused as e:
        return render_template("archive/refused.html", message=e.message), e.status
    name, data, _count = service.export(current_user, f, _article_page)
    response = send_file(data, mimetype="application/zip", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
