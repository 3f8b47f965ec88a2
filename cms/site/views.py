"""The public website: /p/<slug> pages, their images, and /feeds/<slug>.xml (Atom). No login;
these three endpoints are on the public allowlist (cms.permissions.PUBLIC_ENDPOINTS). Only pages
the publisher put live are shown; a withdrawn page answers 410 Gone."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from cms.content import images
from cms.site import service

bp = Blueprint("site", __name__)

# The page carries the article's own inline styles and nothing that runs.
SITE_CSP = ("default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; script-src 'none'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


def _image_url(page, asset_id: int, external: bool = False) -> str:
    return url_for("site.image", slug=page.slug, asset_id=asset_id, _external=external)


@bp.route("/p/<slug>")
def page(slug: str):
    found = service.page_by_slug(slug)
    if found is None:
        response = Response(render_template("site/missing.html"), status=404)
    elif not found.live:
        response = Response(render_template("site/gone.html", page=found), status=410)
    else:
        body = service.served_html(found, lambda i: _image_url(found, i))
        response = Response(render_template("site/page.html", page=found, body=body, channel=found.channel))
        response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Content-Security-Policy"] = SITE_CSP
    return response


@bp.route("/p/<slug>/images/<int:asset_id>")
def image(slug: str, asset_id: int):
    found = service.page_by_slug(slug)
    blob = service.page_image(found, asset_id) if found is not None else None
    if blob is None:
        return Response(render_template("site/missing.html"), status=404)
    response = Response(blob.data, mimetype=images.MIME.get(blob.format, "application/octet-stream"))
    # Short: a withdrawn page's images must leave shared caches soon after it.
    response.headers["Cache-Control"] = "public, max-age=300"
    response.set_etag(blob.sha256)
    return response.make_conditional(request)


@bp.route("/feeds/<slug>.xml")
def feed(slug: str):
    channel = service.feed_channel(slug)
    if channel is None:
        return Response(render_template("site/missing.html"), status=404)
    xml = service.atom(channel, service.feed_pages(channel),
                       feed_url=url_for("site.feed", slug=slug, _external=True),
                       page_url=lambda p: url_for("site.page", slug=p.slug, _external=True),
                       image_url=lambda p, i: _image_url(p, i, external=True))
    response = Response(xml, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
