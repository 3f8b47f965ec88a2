"""The two publishing events through the endpoint over HTTP, on Publication rows made directly (a
lone publication, the members of a 多图文 bundle, another channel's): URLs to the publication of
each article index, article_id, never an id overwritten, every change audited (U7), the worker
woken for publications still under way, failures stored for the worker to read, an event that
comes before its publication's id is saved handled later; the official samples as they are; and
the pure helpers."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.callbacks import service
from cms.channels.models import Bundle, Publication
from cms.extensions import db
from cms.sandbox import callbacks as platform
from tests.callbacks.conftest import APPID, events, push

U1 = "https://mp.weixin.qq.com/s/first-article"
U2 = "https://mp.weixin.qq.com/s?__biz=MzA3&mid=2&idx=2&sn=x"


@pytest.fixture
def wechat_channel(wechat_channel):
    """Compatible mode (encrypted and plaintext pushes both taken): these tests are about the
    handlers and push in every mode; test_modes_and_replays.py is about the modes."""
    return lambda **kw: wechat_channel(**{"mode": "compatible", **kw})


@pytest.fixture
def post(approved_post):
    """post() -> a new draft post (its publications are made by hand here)."""
    n = iter(range(1, 50))
    return lambda: approved_post(approve=False, images=0, cover=False, title=f"回调测试文章{next(n)}")


def publication(post, channel, *, state="submitted", push=True, **fields) -> Publication:
    now = workdays.now()
    pub = Publication(post_id=post.id, channel_id=channel.id, revision_number=post.current.number,
                      content_hash=post.current.content_hash, push=push, state=state, due_at=now,
                      next_attempt_at=now + timedelta(hours=1), client_ref=uuid.uuid4().hex, **fields)
    db.session.add(pub)
    db.session.commit()
    return pub


def mass(msg_id, urls=(U1,), status="send success") -> str:
    return platform.mass_job_finish_xml(APPID, int(time.time()), msg_id, status, total=10, sent=10, urls=list(urls))


def fresh(pub: Publication) -> Publication:
    db.session.expire_all()
    return db.session.get(Publication, pub.id)


def audited(pub: Publication) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "publication.callback", AuditEntry.target_id == str(pub.id)).order_by(AuditEntry.seq)))


def tasks(live, name: str) -> list[tuple]:
    """The args of the Huey tasks waiting (a delayed one waits in the queue until a consumer reads it)."""
    return sorted(t.args for t in [*live.huey.pending(), *live.huey.scheduled()] if t.name.endswith(name))


def woken(live) -> list[tuple]:
    return tasks(live, "publish_due")


# --- MASSSENDJOBFINISH ---------------------------------------------------------------------------

def test_mass_job_finish_fills_the_url_and_wakes_the_worker(live, wechat_channel, post):
    channel = wechat_channel()
    pub = publication(post(), channel, msg_id="1000000123")
    xml = mass(1000000123)
    assert push(live, channel, xml, mode="safe").text == "success"
    pub = fresh(pub)
    assert pub.url == U1 and pub.state == "submitted"
    (entry,) = audited(pub)
    assert entry.after["url"] == U1 and entry.after["event"] == "MASSSENDJOBFINISH" and entry.actor_id is None
    assert entry.ip == "127.0.0.1"
    (event,) = events()
    assert event.handled_at is not None and entry.after["callback_event"] == event.id
    assert woken(live) == [(pub.post_id,)]
    # WeChat's retry (the same XML, its CreateTime too): kept once, not handled again.
    assert push(live, channel, xml, mode="safe").text == "success"
    assert len(events()) == 1 and len(audited(pub)) == 1 and woken(live) == [(pub.post_id,)]


def test_a_known_url_is_never_overwritten_and_a_finished_publication_is_left_alone(live, wechat_channel, post):
    channel = wechat_channel()
    known = publication(post(), channel, state="published", msg_id="7", url="https://mp.weixin.qq.com/s/known")
    late = publication(post(), channel, state="published", msg_id="8")  # the worker finished first
    assert push(live, channel, mass(7)).text == "success"
    assert push(live, channel, mass(8)).text == "success"
    assert fresh(known).url == "https://mp.weixin.qq.com/s/known" and audited(known) == []
    assert fresh(late).url == U1 and len(audited(late)) == 1
    assert woken(live) == []  # nothing left for the worker
    assert all(e.handled_at is not None for e in events())


def test_two_articles_go_to_the_bundle_members_by_index(live, wechat_channel, post):
    channel = wechat_channel()
    bundle = Bundle(channel_id=channel.id, due_at=workdays.now())
    db.session.add(bundle)
    db.session.commit()
    head = publication(post(), channel, msg_id="2000000001", bundle_id=bundle.id, bundle_index=0)
    second = publication(post(), channel, msg_id="2000000001", bundle_id=bundle.id, bundle_index=1)
    # Items in any order: ArticleIdx (1-based) decides, not the position.
    xml = mass(2000000001, urls=[U1, U2])
    first_item = xml[xml.index("<item>"):xml.index("</item>") + len("</item>\n")]
    xml = xml.replace(first_item, "").replace("</ResultList>\n</ArticleUrlResult>",
                                               first_item + "</ResultList>\n</ArticleUrlResult>")
    assert xml.index("<ArticleIdx>2") < xml.index("<ArticleIdx>1")
    assert push(live, channel, xml, mode="compatible").text == "success"
    assert (fresh(head).url, fresh(second).url) == (U1, U2)
    assert woken(live) == sorted([(head.post_id,), (second.post_id,)])


def test_bundle_members_are_found_through_the_headline(live, wechat_channel, post):
    """If only the headline holds the msg_id (its run drives every member), the members come with it."""
    channel = wechat_channel()
    bundle = Bundle(channel_id=channel.id, due_at=workdays.now())
    db.session.add(bundle)
    db.session.commit()
    head = publication(post(), channel, msg_id="3000000001", bundle_id=bundle.id, bundle_index=0)
    members = [publication(post(), channel, bundle_id=bundle.id, bundle_index=i) for i in (1, 2)]
    u3 = "https://mp.weixin.qq.com/s/third"
    assert push(live, channel, mass(3000000001, urls=[U1, U2, u3])).text == "success"
    assert [fresh(p).url for p in (head, *members)] == [U1, U2, u3]


def test_an_article_index_without_its_publication_fills_nothing(live, wechat_channel, post):
    channel = wechat_channel()
    lone = publication(post(), channel, msg_id="4000000001")  # idx 1 only: not a bundle
    assert push(live, channel, mass(4000000001, urls=[U1, U2])).text == "success"
    assert fresh(lone).url == U1 and len(audited(lone)) == 1


def test_a_failed_mass_send_is_stored_and_the_worker_reads_why(live, wechat_channel, post):
    channel = wechat_channel()
    pub = publication(post(), channel, msg_id="5000000001")
    xml = platform.mass_job_finish_xml(APPID, int(time.time()), 5000000001, "err(20013)", total=0, sent=0,
                                       urls=[], check_state=3)
    assert push(live, channel, xml, mode="safe").text == "success"
    assert fresh(pub).url is None and audited(pub) == []
    (event,) = events()
    assert event.payload["Status"] == "err(20013)" and event.handled_at is not None
    assert woken(live) == [(pub.post_id,)]


def test_another_channels_publication_with_the_same_msg_id_is_untouched(live, wechat_channel, post):
    ours, theirs = wechat_channel(), wechat_channel(app_id="wxcallbacktest002")
    mine = publication(post(), ours, msg_id="6000000001")
    other = publication(post(), theirs, msg_id="6000000001")
    assert push(live, ours, mass(6000000001)).text == "success"
    assert fresh(mine).url == U1 and fresh(other).url is None


def test_urls_that_are_not_http_are_not_kept(live, wechat_channel, post):
    channel = wechat_channel()
    pub = publication(post(), channel, msg_id="6100000001")
    assert push(live, channel, mass(6100000001, urls=["javascript:alert(1)"])).text == "success"
    assert fresh(pub).url is None


# --- PUBLISHJOBFINISH ----------------------------------------------------------------------------

def published(publish_id, urls=(U1,), article_id="ArtId_abc123", status=0, fail_idx=()) -> str:
    return platform.publish_job_finish_xml(APPID, int(time.time()), publish_id, status, article_id=article_id,
                                           urls=list(urls), fail_idx=list(fail_idx))


def test_publish_job_finish_stores_article_id_and_url(live, wechat_channel, post):
    channel = wechat_channel()
    pub = publication(post(), channel, push=False, publish_id="2247483801", msg_data_id="2247483649")
    assert push(live, channel, published(2247483801), mode="safe").text == "success"
    pub = fresh(pub)
    assert (pub.article_id, pub.url, pub.state) == ("ArtId_abc123", U1, "submitted")
    (entry,) = audited(pub)
    assert entry.after["article_id"] == "ArtId_abc123" and entry.after["url"] == U1
    assert woken(live) == [(pub.post_id,)]


def test_publish_job_finish_with_several_items_goes_by_idx(live, wechat_channel, post):
    channel = wechat_channel()
    bundle = Bundle(channel_id=channel.id, due_at=workdays.now())
    db.session.add(bundle)
    db.session.commit()
    head = publication(post(), channel, push=False, publish_id="2247483802", bundle_id=bundle.id, bundle_index=0)
    second = publication(post(), channel, push=False, publish_id="2247483802", bundle_id=bundle.id, bundle_index=1)
    assert push(live, channel, published(2247483802, urls=[U1, U2])).text == "success"
    assert [(fresh(p).article_id, fresh(p).url) for p in (head, second)] == [("ArtId_abc123", U1),
                                                                             ("ArtId_abc123", U2)]


def test_a_failed_publish_is_stored_and_fills_nothing(live, wechat_channel, post):
    channel = wechat_channel()
    pub = publication(post(), channel, push=False, publish_id="2247483803")
    assert push(live, channel, published(2247483803, status=2, fail_idx=[1, 2])).text == "success"
    pub = fresh(pub)
    assert pub.article_id is None and pub.url is None and audited(pub) == []
    (event,) = events()
    assert event.payload["PublishEventInfo"]["fail_idx"] == ["1", "2"]
    assert woken(live) == [(pub.post_id,)]
    # The same job reporting another status later is another event, not a retry.
    assert push(live, channel, published(2247483803, status=0)).text == "success"
    assert len(events()) == 2 and fresh(pub).article_id == "ArtId_abc123"


# --- before the publication holds its id ---------------------------------------------------------

def test_an_event_before_its_publication_id_is_saved_is_handled_later(live, wechat_channel, post):
    """The worker died between the platform's answer and its commit: the callback matches nothing
    yet. It stays stored, unhandled, and a Huey task looks again (30 s, 2, 10, 30 minutes)."""
    from cms.callbacks.tasks import REMATCH_DELAYS, rematch_event

    channel = wechat_channel()
    pub = publication(post(), channel, msg_id=None)
    assert push(live, channel, mass(7000000001)).text == "success"
    (event,) = events()
    assert event.handled_at is None and fresh(pub).url is None
    assert tasks(live, "rematch_event") == [(event.id, 0)]
    # Still nothing: the task schedules its next look.
    assert rematch_event.call_local(event.id, 0) is False
    assert tasks(live, "rematch_event") == [(event.id, 0), (event.id, 1)]
    assert rematch_event.call_local(event.id, len(REMATCH_DELAYS) - 1) is False  # the last look: no more
    assert tasks(live, "rematch_event") == [(event.id, 0), (event.id, 1)]
    # The next run of the worker saves the msg_id (45065 gave it back); the next look finds it.
    fresh(pub).msg_id = "7000000001"
    db.session.commit()
    assert rematch_event.call_local(event.id, 1) is True
    assert fresh(pub).url == U1 and events()[0].handled_at is not None
    assert woken(live) == [(pub.post_id,)]
    assert rematch_event.call_local(event.id, 2) is True and len(audited(pub)) == 1  # done once


# --- other pushes, and the official samples as they are ------------------------------------------

def test_other_events_and_messages_are_stored_for_later(live, wechat_channel):
    channel = wechat_channel()
    subscribe = ("<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o_fan]]></FromUserName>"
                 f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                 "<Event><![CDATA[subscribe]]></Event></xml>")
    assert push(live, channel, subscribe, mode="safe").text == "success"
    (event,) = events()
    assert event.kind == "subscribe" and event.handled_at is None and event.payload["FromUserName"] == "o_fan"
    assert tasks(live, "rematch_event") == []


OFFICIAL_MASS = """<xml>
<ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>
<FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>
<CreateTime>{now}</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[MASSSENDJOBFINISH]]></Event>
<MsgID>1000001625</MsgID>
<Status><![CDATA[err(30003)]]></Status>
<TotalCount>0</TotalCount>
<FilterCount>0</FilterCount>
<SentCount>0</SentCount>
<ErrorCount>0</ErrorCount>
<CopyrightCheckResult>
<Count>2</Count>
<ResultList>
<item>
<ArticleIdx>1</ArticleIdx>
<UserDeclareState>0</UserDeclareState>
<AuditState>2</AuditState>
<OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl>
<OriginalArticleType>1</OriginalArticleType>
<CanReprint>1</CanReprint>
<NeedReplaceContent>1</NeedReplaceContent>
<NeedShowReprintSource>1</NeedShowReprintSource>
</item>
<item>
<ArticleIdx>2</ArticleIdx>
<UserDeclareState>0</UserDeclareState>
<AuditState>2</AuditState>
<OriginalArticleUrl><![CDATA[Url_2]]></OriginalArticleUrl>
<OriginalArticleType>1</OriginalArticleType>
<CanReprint>1</CanReprint>
<NeedReplaceContent>1</NeedReplaceContent>
<NeedShowReprintSource>1</NeedShowReprintSource>
</item>
</ResultList>
<CheckState>2</CheckState>
</CopyrightCheckResult>
<ArticleUrlResult>
<Count>1</Count>
<ResultList>
<item>
<ArticleIdx>1</ArticleIdx>
<ArticleUrl><![CDATA[Url]]></ArticleUrl>
</item>
</ResultList>
</ArticleUrlResult>
</xml>"""

OFFICIAL_PUBLISH = """<xml>
<ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>
<FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>
<CreateTime>{now}</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[PUBLISHJOBFINISH]]></Event>
<PublishEventInfo>
<publish_id>2247503051</publish_id>
<publish_status>0</publish_status>
<article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvy
WP4Hq4]]></article_id>
<article_detail>
<count>1</count>
<item>
<idx>1</idx>
<article_url><![CDATA[ARTICLE_URL]]></article_url>
</item>
</article_detail>
</PublishEventInfo>
</xml>"""


def test_the_official_samples_as_they_are(live, wechat_channel, post):
    """The samples of the MP documentation (their URLs are placeholders, not URLs: not kept)."""
    channel = wechat_channel()
    pushed = publication(post(), channel, msg_id="1000001625")
    freed = publication(post(), channel, push=False, publish_id="2247503051")
    now = int(time.time())
    assert push(live, channel, OFFICIAL_MASS.format(now=now), mode="safe").text == "success"
    assert push(live, channel, OFFICIAL_PUBLISH.format(now=now), mode="compatible").text == "success"
    assert fresh(pushed).url is None  # "Url" is a placeholder
    assert fresh(freed).article_id == "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4"
    kept = {e.kind: e for e in events()}
    assert kept["MASSSENDJOBFINISH"].key == f"evt:oV5CrjpxgaGXNHIQigzNlgLTnwic:{now}:MASSSENDJOBFINISH:1000001625"
    assert kept["PUBLISHJOBFINISH"].key.endswith(":PUBLISHJOBFINISH:2247503051/0")
    assert kept["MASSSENDJOBFINISH"].payload["CopyrightCheckResult"]["CheckState"] == "2"


# --- the pure helpers ----------------------------------------------------------------------------

@pytest.mark.parametrize("node, count", [
    (None, 0), ("", 0), ({}, 0), ({"item": None}, 0), ({"item": {"idx": "1"}}, 1),
    ({"item": [{"idx": "1"}, {"idx": "2"}]}, 2), ({"item": ["text", {"idx": "2"}]}, 1), ("\n\n", 0),
])
def test_items_takes_one_several_or_none(node, count):
    assert len(service.items(node)) == count


@pytest.mark.parametrize("ts, now, fresh_", [
    ("1000", 1000, True), ("700", 1000, True), ("699", 1000, False), ("1300", 1000, True), ("1301", 1000, False),
    ("", 1000, False), (None, 1000, False), ("12a", 1000, False), ("1e3", 1000, False),
])
def test_is_fresh(ts, now, fresh_):
    assert service.is_fresh(ts, now, 300) is fresh_


def test_dedupe_keys():
    assert service.dedupe_key({"MsgType": "text", "MsgId": "42", "CreateTime": "1"}) == "msg:42"
    event = {"MsgType": "event", "Event": "subscribe", "FromUserName": "o1", "CreateTime": "9"}
    assert service.dedupe_key(event) == "evt:o1:9:SUBSCRIBE"
    long = service.dedupe_key({**event, "FromUserName": "o" * 200})
    assert long.startswith("sha256:") and len(long) <= 128
    a = {"MsgType": "event", "Event": "PUBLISHJOBFINISH", "FromUserName": "mphelper", "CreateTime": "9",
         "PublishEventInfo": {"publish_id": "1", "publish_status": "0"}}
    b = {**a, "PublishEventInfo": {"publish_id": "2", "publish_status": "0"}}
    assert service.dedupe_key(a) != service.dedupe_key(b)  # two jobs in one second: two events


def test_owner_of_index_and_safe_url():
    class P:
        def __init__(self, index):
            self.bundle_index = index

    lone, head, second = P(None), P(0), P(1)
    assert service.owner_of_index([lone], 1) is lone and service.owner_of_index([lone], 2) is None
    assert service.owner_of_index([head, second], 2) is second and service.owner_of_index([head, second], 1) is head
    assert service.owner_of_index([P(None), P(None)], 1) is None  # ambiguous: nothing
    assert service.safe_url("https://mp.weixin.qq.com/s/x") and service.safe_url("http://127.0.0.1/a")
    for bad in ("javascript:alert(1)", "Url", "", None, "https://a b", "https://" + "x" * 1000):
        assert service.safe_url(bad) is None
