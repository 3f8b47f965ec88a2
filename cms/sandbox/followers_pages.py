"""The HTTP side of the sandbox's followers (followers.py): message/custom/send under /mp/cgi-bin/,
the datacube calls under /mp/datacube/ (wechatpy's datacube host, moved with the base URL:
cms/platforms/wechat.py), and the page /sandbox/followers/ where a fake follower writes to an
account (POST /sandbox/followers/send: appid, openid, content) and sees the answers it got;
POST /sandbox/followers/redeliver (msg_id) pushes a message again, as WeChat retries."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from cms.sandbox.http import add_api
from cms.sandbox.state import SandboxState

DATACUBE = "/mp/datacube/"


def register(bp: Blueprint, state: SandboxState) -> None:
    followers = state.followers
    add_api(bp, state, "/mp/cgi-bin/", "mp", "message/custom/send", lambda c: followers.custom_send(c.owner, c.body))
    add_api(bp, state, DATACUBE, "mp", "getarticlesummary", lambda c: followers.article_summary(c.owner, c.body),
            envelope=False)
    add_api(bp, state, DATACUBE, "mp", "getusersummary", lambda c: followers.user_summary(c.owner, c.body),
            envelope=False)
    add_api(bp, state, DATACUBE, "mp", "getusercumulate", lambda c: followers.user_cumulate(c.owner, c.body),
            envelope=False)

    @bp.route("/sandbox/followers/", endpoint="followers")
    def page():
        with state.lock:
            deliveries = {d.id: d for d in state.deliveries}
            return render_template("sandbox/followers.html", state=state, received=list(reversed(followers.received)),
                                   sent=list(reversed(followers.sent)), deliveries=deliveries,
                                   error=request.args.get("error", ""), chosen=request.args.get("appid", ""))

    @bp.route("/sandbox/followers/send", methods=["POST"], endpoint="followers_send")
    def send():
        appid = request.form.get("appid", "")
        try:
            followers.send(appid, request.form.get("openid", "").strip(), request.form.get("content", ""))
        except (KeyError, ValueError) as e:
            return redirect(url_for("sandbox.followers", appid=appid, error=str(e).strip("'")))
        return redirect(url_for("sandbox.followers", appid=appid))

    @bp.route("/sandbox/followers/redeliver", methods=["POST"], endpoint="followers_redeliver")
    def redeliver():
        try:
            followers.redeliver(request.form.get("msg_id", ""))
        except KeyError:
            abort(404)
        return redirect(url_for("sandbox.followers"))
