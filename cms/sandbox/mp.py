"""The official-account API under /mp/cgi-bin/ (WECHAT_API.md 1)."""

from __future__ import annotations

from flask import Blueprint, request

from cms.sandbox.http import add_api, json_response
from cms.sandbox.models import ApiError
from cms.sandbox.state import SandboxState

PREFIX = "/mp/cgi-bin/"


def register(bp: Blueprint, state: SandboxState) -> None:
    def api(rule, handler, **kw):
        add_api(bp, state, PREFIX, "mp", rule, handler, **kw)

    # 1.1 tokens
    api(
        "token",
        lambda c: state.auth.mp_token(c.args.get("grant_type"), c.args.get("appid"), c.args.get("secret")),
        methods=("GET",),
        auth=False,
        envelope=False,
    )
    api("stable_token", lambda c: state.auth.stable_token(c.body), auth=False, envelope=False)

    # 1.2 images
    api("media/uploadimg", lambda c: state.media.upload_image(c.owner, c.file("media"), c.base_url))
    api(
        "material/add_material",
        lambda c: state.media.add_material(c.owner, c.args.get("type"), c.file("media"), c.base_url),
    )

    # 1.3 drafts
    api("draft/add", lambda c: state.draft.add(c.owner, c.body, c.base_url))
    api("draft/update", lambda c: state.draft.update(c.owner, c.body))
    api("draft/get", lambda c: state.draft.get(c.owner, c.body))
    api("draft/delete", lambda c: state.draft.delete(c.owner, c.body))
    api("draft/batchget", lambda c: state.draft.batchget(c.owner, c.body))
    api("draft/count", lambda c: state.draft.count(c.owner), methods=("GET",))

    # 1.4 publishing
    api("freepublish/submit", lambda c: state.freepublish.submit(c.owner, c.body, c.base_url))
    api("freepublish/get", lambda c: state.freepublish.get(c.owner, c.body))
    api("freepublish/getarticle", lambda c: state.freepublish.getarticle(c.owner, c.body))
    api("freepublish/delete", lambda c: state.freepublish.delete(c.owner, c.body))
    api("freepublish/batchget", lambda c: state.freepublish.batchget(c.owner, c.body))

    # 1.5 push, 1.5a preview
    api("message/mass/sendall", lambda c: state.mass.sendall(c.owner, c.body, c.base_url))
    api("message/mass/get", lambda c: state.mass.get(c.owner, c.body))
    api("message/mass/delete", lambda c: state.mass.delete(c.owner, c.body))
    api("message/mass/preview", lambda c: state.mass.preview(c.owner, c.body))

    # 1.6 comments
    api("comment/open", lambda c: state.comment.set_open(c.owner, c.body, True))
    api("comment/close", lambda c: state.comment.set_open(c.owner, c.body, False))
    api("comment/list", lambda c: state.comment.list_comments(c.owner, c.body))
    api("comment/markelect", lambda c: state.comment.elect(c.owner, c.body, True))
    api("comment/unmarkelect", lambda c: state.comment.elect(c.owner, c.body, False))
    api("comment/delete", lambda c: state.comment.delete(c.owner, c.body))
    api("comment/reply/add", lambda c: state.comment.reply(c.owner, c.body))
    api("comment/reply/delete", lambda c: state.comment.delete_reply(c.owner, c.body))

    @bp.route("/mp/<path:rest>", methods=["GET", "POST"], endpoint="mp_not_emulated")
    def not_emulated(rest: str):
        """Anything else the sandbox does not speak: a clear permanent error, not a bare 404."""
        return json_response(
            ApiError(48001, f"api unauthorized hint: the sandbox does not emulate {request.path}").payload()
        )
