"""GET /sandbox/state.json: what the platforms hold, as JSON (settings, live faults, each account
with its drafts, jobs, mass sends, articles, previews and server URL, the deliveries, the Toutiao
accounts). Secrets stay out: no app secret, callback token or EncodingAESKey."""

from __future__ import annotations

import copy

from cms.sandbox.core import Core
from cms.sandbox.deliveries import Deliveries
from cms.sandbox.faults import Switches
from cms.sandbox.mass import MassSend


def snapshot(core: Core, switches: Switches, mass: MassSend, delivery: Deliveries) -> dict:
    """A JSON-able summary (`state.snapshot()`)."""
    with core.lock:
        core.tick()
        return {
            "now": core.now(),
            "settings": dict(core.settings),
            "overrides": copy.deepcopy(core.overrides),
            "faults": [vars(f).copy() for f in switches.faults if f.times > 0],
            "accounts": [
                {
                    "appid": a.appid,
                    "kind": a.kind,
                    "name": a.name,
                    "push_quota": mass.push_quota(a.appid),
                    "pushes_used": mass.pushes_used(a.appid),
                    "drafts": [
                        {
                            "media_id": d.media_id,
                            "titles": [x["title"] for x in d.articles],
                            "publishing": d.publishing,
                        }
                        for d in a.drafts.values()
                    ],
                    "publishes": [
                        {
                            "publish_id": p.publish_id,
                            "status": p.status,
                            "article_id": p.article_id,
                            "msg_data_id": p.msg_data_id,
                        }
                        for p in a.publishes.values()
                    ],
                    "masses": [
                        {
                            "msg_id": m.msg_id,
                            "msg_data_id": m.msg_data_id,
                            "clientmsgid": m.clientmsgid,
                            "status": m.status,
                            "article_id": m.article_id,
                        }
                        for m in a.masses.values()
                    ],
                    "articles": [
                        {
                            "article_id": x.article_id,
                            "source": x.source,
                            "url": x.url(1),
                            "titles": [y["title"] for y in x.articles],
                            "deleted": x.deleted,
                        }
                        for x in a.articles.values()
                    ],
                    "previews": [{k: v for k, v in p.items()} for p in a.previews],
                    "callback": {"url": a.callback.url, "mode": a.callback.mode} if a.callback else None,
                }
                for a in core.accounts.values()
            ],
            "deliveries": [d.summary() for d in delivery.deliveries],
            "toutiao_accounts": [
                {
                    "app_id": t.app_id,
                    "name": t.name,
                    "articles": [
                        {
                            "article_id": x.article_id,
                            "client_id": x.client_id,
                            "title": x.title,
                            "status": x.status,
                            "url": x.url,
                            "reject_reason": x.reject_reason,
                        }
                        for x in t.articles.values()
                    ],
                }
                for t in core.toutiao_accounts.values()
            ],
        }
