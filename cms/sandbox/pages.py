"""The sandbox's own pages and switches: /sandbox/ (what the platforms hold), the simulated phone
views of articles, media served back, GET /sandbox/state.json and POST /sandbox/control."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from cms.sandbox.http import json_response
from cms.sandbox.models import BEIJING, DEFAULT_SETTINGS, PUBLISH_STATUS_TEXT
from cms.sandbox.state import SandboxState

CONTROL_KEYS = {
    "reset",
    "appid",
    "app_id",
    "add_account",
    "add_toutiao_account",
    "clear_faults",
    "faults",
    "publish_outcome",
    "toutiao_reject",
    "expire_tokens",
    "advance",
    "reset_quota",
    "add_comment",
    "callback",
    "mass_outcome",
    *DEFAULT_SETTINGS,
}


class ControlError(ValueError):
    pass


def apply_control(state: SandboxState, body: dict) -> dict:
    """Apply a POST /sandbox/control body (see cms/sandbox/__init__.py) in a fixed order."""
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    unknown = set(body) - CONTROL_KEYS
    if unknown:
        raise ControlError(f"unknown keys: {sorted(unknown)}")
    scope = body.get("appid") or body.get("app_id")
    result: dict = {"ok": True}
    try:
        if body.get("reset"):
            state.reset()
        if "add_account" in body:
            a = body["add_account"]
            state.add_account(
                a["appid"],
                a.get("secret", "sandbox-secret"),
                kind=a.get("kind", "service"),
                name=a.get("name", ""),
            )
        if "add_toutiao_account" in body:
            a = body["add_toutiao_account"]
            state.add_toutiao_account(a["app_id"], a.get("secret", "sandbox-secret"), name=a.get("name", ""))
        if "callback" in body:
            c = body["callback"]
            appid = (c or {}).get("appid") or scope
            if not appid:
                raise ControlError('"callback" needs the account: "appid" beside it or inside it')
            if c is None or c.get("url") in (None, ""):
                state.clear_callback(appid)
            else:
                config = state.set_callback(appid, c["url"], c["token"], c.get("encoding_aes_key"), c.get("mode"))
                result["callback"] = {"appid": appid, "url": config.url, "mode": config.mode}
        settings = {k: body[k] for k in DEFAULT_SETTINGS if k in body}
        if settings:
            state.configure(scope, **settings)
        if body.get("clear_faults"):
            state.clear_faults()
        for f in body.get("faults") or []:
            state.inject_fault(
                f["path"],
                errcode=f.get("errcode"),
                http_status=f.get("http_status"),
                times=f.get("times", 1),
                appid=f.get("appid", scope),
                errmsg=f.get("errmsg"),
            )
        if "publish_outcome" in body:
            p = body["publish_outcome"]
            state.fail_next_publish(
                p.get("status", 3),
                fail_idx=p.get("fail_idx"),
                times=p.get("times", 1),
                appid=p.get("appid", scope),
            )
        if "mass_outcome" in body:
            m = body["mass_outcome"]
            state.fail_next_mass(m.get("status", "send fail"), times=m.get("times", 1), appid=m.get("appid", scope))
        if "toutiao_reject" in body:
            r = body["toutiao_reject"]
            state.reject_next_toutiao(
                r.get("reason", "内容不符合平台规范"), times=r.get("times", 1), app_id=r.get("app_id", scope)
            )
        if body.get("expire_tokens"):
            result["expired"] = state.expire_tokens(scope)
        if body.get("advance"):
            state.advance(float(body["advance"]))
        if body.get("reset_quota"):
            state.reset_quota(scope)
        if "add_comment" in body:
            c = body["add_comment"]
            result["user_comment_id"] = state.add_comment(
                c["msg_data_id"], c.get("index", 0), c["openid"], c["content"], c.get("nickname", "")
            )
    except (KeyError, TypeError, ValueError) as e:
        raise ControlError(f"{type(e).__name__}: {e}") from e
    return result


def _fmt_time(ts: float | int | None) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def register(bp: Blueprint, state: SandboxState) -> None:
    @bp.app_template_filter("sandbox_time")
    def sandbox_time(ts):
        return _fmt_time(ts)

    @bp.route("/sandbox/", endpoint="index")
    def index():
        with state.lock:
            state.tick()
            return render_template(
                "sandbox/index.html",
                state=state,
                status_text=PUBLISH_STATUS_TEXT,
                faults=[f for f in state.faults if f.times > 0],
                deliveries=list(reversed(state.deliveries[-20:])),
            )

    @bp.route("/sandbox/articles/<article_id>", endpoint="article")
    def article(article_id: str):
        with state.lock:
            art = state.find_article(article_id)
            if art is None:
                abort(404)
            idx = request.args.get("idx", 1, type=int)
            if not 1 <= idx <= len(art.articles):
                abort(404)
            acct = state.accounts[art.appid]
            gone = (
                "此内容因违规无法查看"
                if art.banned
                else ("该内容已被发布者删除" if art.deleted[idx - 1] else None)
            )
            return render_template(
                "sandbox/article.html",
                a=art.articles[idx - 1],
                account=acct,
                when=_fmt_time(art.published_at),
                gone=gone,
                banner=None,
                comments=state.comment.shown(art.msg_data_id, idx - 1),
            )

    @bp.route("/sandbox/follower-comment", methods=["GET", "POST"], endpoint="follower_comment")
    def follower_comment():
        """A fake follower comments on a published article (the moderators' queue gets it at the next sync)."""
        choices = []
        for md, index in state.comment.commentable():
            art = state.find_article(md.article_id)
            if art is not None and not art.banned and index < len(art.articles):
                choices.append({"value": f"{md.msg_data_id}:{index}", "title": art.articles[index]["title"],
                                "account": state.accounts[art.appid].name, "article_id": art.article_id,
                                "idx": index + 1})
        error = None
        if request.method == "POST":
            picked = next((c for c in choices if c["value"] == request.form.get("article")), None)
            text = (request.form.get("content") or "").strip()
            openid = (request.form.get("openid") or "").strip() or "o_sandbox_follower"
            if picked is None:
                error = "请选择一篇已发布且开放留言的文章"
            elif not text:
                error = "请填写留言内容"
            else:
                msg_data_id, _colon, index = picked["value"].partition(":")
                state.add_comment(int(msg_data_id), int(index), openid[:64], text[:600],
                                  nickname=(request.form.get("nickname") or "").strip()[:64])
                return redirect(url_for("sandbox.article", article_id=picked["article_id"], idx=picked["idx"]))
        return render_template("sandbox/follower_comment.html", choices=choices, error=error, form=request.form), (
            400 if error else 200)

    @bp.route("/sandbox/drafts/<media_id>", endpoint="draft")
    def draft(media_id: str):
        with state.lock:
            d = state.find_draft(media_id)
            if d is None:
                abort(404)
            idx = request.args.get("idx", 1, type=int)
            if not 1 <= idx <= len(d.articles):
                abort(404)
            return render_template(
                "sandbox/article.html",
                a=d.articles[idx - 1],
                account=state.accounts[d.appid],
                when=_fmt_time(d.update_time),
                gone=None,
                banner="草稿预览（粉丝看不到）",
            )

    @bp.route("/sandbox/toutiao/articles/<article_id>", endpoint="toutiao_article")
    def toutiao_article(article_id: str):
        with state.lock:
            art = state.find_toutiao_article(article_id)
            if art is None or art.status not in ("published", "deleted"):
                abort(404)
            a = {"title": art.title, "author": "", "content": art.content}
            return render_template(
                "sandbox/article.html",
                a=a,
                account=state.toutiao_accounts[art.app_id],
                when=_fmt_time(art.review_due),
                banner=None,
                gone="该内容已删除" if art.status == "deleted" else None,
            )

    @bp.route("/sandbox/media/<filename>", endpoint="media")
    def media(filename: str):
        media_id, _dot, _ext = filename.partition(".")
        m = state.image(media_id)
        if m is None:
            abort(404)
        return Response(m.data, mimetype=m.mimetype, headers={"Cache-Control": "max-age=86400"})

    @bp.route("/sandbox/state.json", endpoint="state_json")
    def state_json():
        return json_response(state.snapshot())

    @bp.route("/sandbox/control", methods=["POST"], endpoint="control")
    def control():
        try:
            body = json.loads(request.get_data() or b"{}")
            return json_response(apply_control(state, body))
        except (ValueError, ControlError) as e:
            return json_response({"ok": False, "error": str(e)}, status=400)
