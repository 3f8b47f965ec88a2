"""Official-account mass sends (WECHAT_API.md 1.5, 1.5a): message/mass/sendall pushes a draft to the
followers within the push quota (subscription 1 per Beijing day, service 4 per calendar month, or
the `push_quota` setting), once per clientmsgid; message/mass/get, delete, and preview to one
follower. A send leaves an Article, opens its comment thread and pushes MASSSENDJOBFINISH to the
account's server, if one is set; a planned failure (faults.py) is accepted, then refused."""

from __future__ import annotations

import copy
import itertools

from cms.sandbox import callbacks
from cms.sandbox.core import Core
from cms.sandbox.deliveries import Deliveries
from cms.sandbox.drafts import Drafts
from cms.sandbox.faults import Switches
from cms.sandbox.models import ApiError, Article, Mass, MsgData, as_int, same_day, same_month

CLIENTMSGID_MAX_BYTES = 64


class MassSend:
    """`state.mass`."""

    def __init__(self, core: Core, drafts: Drafts, switches: Switches, delivery: Deliveries):
        self.core = core
        self.lock = core.lock
        self.drafts, self.switches, self.delivery = drafts, switches, delivery

    def reset(self) -> None:
        with self.lock:
            self._msg_ids = itertools.count(1000000001)  # mass sends and previews

    def push_quota(self, appid: str) -> int:
        with self.lock:
            quota = self.core.setting("push_quota", appid)
            if quota is None:
                quota = 1 if self.core.accounts[appid].kind == "subscription" else 4
            return quota

    def pushes_used(self, appid: str) -> int:
        """Pushes in the current quota period (Beijing day for subscription, calendar month for service)."""
        with self.lock:
            acct = self.core.accounts[appid]
            now = self.core.now()
            same = same_day if acct.kind == "subscription" else same_month
            return sum(1 for t in acct.pushes if same(t, now))

    def _news_body(self, body: dict) -> str:
        if body.get("msgtype") != "mpnews":
            raise ApiError(40008, "invalid message type hint: the sandbox sends mpnews")
        mpnews = body.get("mpnews")
        media_id = mpnews.get("media_id") if isinstance(mpnews, dict) else None
        if not media_id:
            raise ApiError(40007, "invalid media_id")
        return media_id

    def sendall(self, appid: str, body: dict, base_url: str) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            filt = body.get("filter")
            if not isinstance(filt, dict):
                raise ApiError(47001, "data format error hint: filter missing")
            if not filt.get("is_to_all") and filt.get("tag_id") in (None, ""):
                raise ApiError(40050, "invalid tag id")
            media_id = self._news_body(body)
            clientmsgid = body.get("clientmsgid")
            if clientmsgid is not None:
                clientmsgid = str(clientmsgid)
                if len(clientmsgid.encode("utf-8")) > CLIENTMSGID_MAX_BYTES:
                    raise ApiError(45067, "clientmsgid size out of limit")
                if clientmsgid in acct.clientmsgids:
                    msg_id = acct.clientmsgids[clientmsgid]
                    raise ApiError(
                        45065, "clientmsgid exist", msg_id=msg_id, msg_data_id=acct.masses[msg_id].msg_data_id
                    )
            draft = self.drafts.find(acct, media_id)
            if draft.publishing:
                raise ApiError(53501, "draft is being published")
            if self.pushes_used(appid) >= self.push_quota(appid):
                raise ApiError(45028, "has no masssend quota")
            now = self.core.now()
            msg_id, msg_data_id = next(self._msg_ids), next(self.core.msg_data_ids)
            failure = self.switches.take_mass_outcome(appid)
            if failure is not None:
                # Accepted, then refused (review, copyright): nothing reaches the followers.
                acct.masses[msg_id] = Mass(msg_id=msg_id, msg_data_id=msg_data_id, appid=appid, media_id=media_id,
                                           clientmsgid=clientmsgid, sent_at=now, article_id="", status="SEND_FAIL")
                if clientmsgid is not None:
                    acct.clientmsgids[clientmsgid] = msg_id
                self.delivery.push(acct, "MASSSENDJOBFINISH", msg_id, callbacks.mass_job_finish_xml(
                    appid, int(now), msg_id, failure, total=0, sent=0, urls=[],
                    check_state=3 if failure == "err(20013)" else 1))
                return {"errmsg": "send job submission success", "msg_id": msg_id, "msg_data_id": msg_data_id}
            art = Article(
                article_id=self.core.new_article_id(),
                appid=appid,
                articles=copy.deepcopy(draft.articles),
                deleted=[False] * len(draft.articles),
                msg_data_id=msg_data_id,
                published_at=now,
                base_url=base_url,
                source="mass",
                msg_id=msg_id,
            )
            acct.articles[art.article_id] = art
            acct.masses[msg_id] = Mass(
                msg_id=msg_id,
                msg_data_id=msg_data_id,
                appid=appid,
                media_id=media_id,
                clientmsgid=clientmsgid,
                sent_at=now,
                article_id=art.article_id,
            )
            if clientmsgid is not None:
                acct.clientmsgids[clientmsgid] = msg_id
            acct.pushes.append(now)
            self.core.msg_data[msg_data_id] = MsgData(
                msg_data_id=msg_data_id,
                appid=appid,
                article_id=art.article_id,
                open=[bool(a["need_open_comment"]) for a in art.articles],
                comments=[[] for _ in art.articles],
            )
            del acct.drafts[media_id]  # a mass-sent draft leaves the box
            followers = int(self.core.setting("followers", appid))
            self.delivery.push(acct, "MASSSENDJOBFINISH", msg_id, callbacks.mass_job_finish_xml(
                appid, int(now), msg_id, "send success", total=followers, sent=followers,
                urls=[art.url(i) for i in range(1, len(art.articles) + 1)]))
            return {"errmsg": "send job submission success", "msg_id": msg_id, "msg_data_id": msg_data_id}

    def get(self, appid: str, body: dict) -> dict:
        with self.lock:
            mass = self.core.accounts[appid].masses.get(as_int(body.get("msg_id")))
            if mass is None:
                raise ApiError(40059, "invalid msg id")
            return {"msg_id": mass.msg_id, "msg_status": mass.status}

    def delete(self, appid: str, body: dict) -> dict:
        """message/mass/delete: `msg_id`, `article_idx` (1-based; 0 or absent deletes every article
        of the message). The articles' pages stop showing; followers keep the card they received.
        Once every article is gone the message's status is DELETE."""
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            mass = acct.masses.get(as_int(body.get("msg_id")))
            if mass is None:
                raise ApiError(40059, "invalid msg id")
            art = acct.articles[mass.article_id]
            index = body.get("article_idx", 0)
            if not isinstance(index, int) or not 0 <= index <= len(art.articles):
                raise ApiError(47001, "data format error hint: article_idx is 1-based, 0 deletes all")
            if index == 0:
                art.deleted = [True] * len(art.articles)
            else:
                art.deleted[index - 1] = True
            if all(art.deleted):
                mass.status = "DELETE"
            return {}

    def preview(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            to = body.get("touser") or body.get("towxname")
            if not to:
                raise ApiError(40003, "invalid openid")
            draft = self.drafts.find(acct, self._news_body(body))
            now = self.core.now()
            today = [p for p in acct.previews if same_day(p["sent_at"], now)]
            if len(today) >= self.core.setting("preview_daily_limit", appid):
                raise ApiError(45009, "reach max api daily quota limit (preview)")
            msg_id = next(self._msg_ids)
            acct.previews.append(
                {
                    "msg_id": msg_id,
                    "to": to,
                    "media_id": draft.media_id,
                    "sent_at": now,
                    "titles": [a["title"] for a in draft.articles],
                }
            )
            return {"errmsg": "preview success", "msg_id": msg_id}
