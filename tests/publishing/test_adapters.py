"""The adapters (cms/publishing/channels): image src rewriting, and the calls whose answer was lost
(the worker died in them) resolved without a second draft, publish or push."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.extensions import db
from cms.publishing.channels import ADAPTERS, adapter_for
from cms.publishing.channels.base import local_images, replace_images
from cms.publishing.channels.toutiao import ToutiaoAdapter
from cms.publishing.channels.website import WebsiteAdapter
from cms.publishing.channels.wechat import WeChatAdapter
from cms.publishing.job import Job, run_publication
from cms.publishing.queries import get_publication, publications_for
from cms.publishing.runner import claim, run_due
from cms.publishing.scheduling import schedule


def test_local_images_are_found_once_each_in_order():
    html = ('<p><img src="/assets/3" alt="a"><img alt="b" src=\'/assets/1\'></p>'
            '<img src="https://example.com/x.jpg"><img src="/assets/3"><img src="http://cms.local/assets/7?x=1">')
    assert local_images(html) == ["/assets/3", "/assets/1", "http://cms.local/assets/7?x=1"]


def test_replace_images_swaps_only_what_it_knows():
    html = '<img src="/assets/3" alt="a"><img src="/assets/4"><img src="https://example.com/x.jpg">'
    out = replace_images(html, {"/assets/3": "https://mmbiz.qpic.cn/a.jpg"})
    assert out == ('<img src="https://mmbiz.qpic.cn/a.jpg" alt="a"><img src="/assets/4">'
                   '<img src="https://example.com/x.jpg">')


def test_one_adapter_per_platform(app):
    assert set(ADAPTERS) == {"wechat", "toutiao", "website"}
    by_platform = {c.platform: adapter_for(c) for c in db.session.scalars(select(Channel))}
    assert isinstance(by_platform["wechat"], WeChatAdapter)
    assert isinstance(by_platform["toutiao"], ToutiaoAdapter)
    assert isinstance(by_platform["website"], WebsiteAdapter)


def _job(post):
    """The publication of `post` claimed, as a worker holds it: (job, adapter)."""
    schedule(get_by_username("account_admin"), post)
    owner, (pub_id,) = claim(post.id)
    pub = get_publication(pub_id)
    return Job(pub, owner), adapter_for(pub.channel), owner


def _calls(state, path):
    return sum(1 for _t, p, _o in state.calls if p.endswith(path))


@pytest.mark.parametrize("newer, pages", [(0, 1), (45, 3)])
def test_a_draft_whose_answer_was_lost_is_found_not_made_twice(outbox, approved_post, newer, pages):
    """The worker's draft/add reached the platform; the worker died before saving its media_id. With
    other jobs at work (two workers with 20 each make 40 drafts at a time) it may sit below the first
    page of 20: the scale-out run once made a 501st draft."""
    state = outbox
    post = approved_post()
    job, adapter, owner = _job(post)
    adapter.prepare_images(job)
    job.started("draft")
    lost = adapter.client.draft.add([adapter._draft_article(job)])["media_id"]
    state.advance(1)  # a second later: newer drafts list first
    for _i in range(newer):
        adapter.client.draft.add([{**adapter._draft_article(job), "title": "别的稿件"}])
    db.session.commit()
    assert run_publication(job.publication.id, owner) == "published"
    db.session.expire_all()
    assert get_publication(job.publication.id).draft_media_id == lost
    assert _calls(state, "draft/add") == 1 + newer and _calls(state, "draft/batchget") == pages


def test_a_publish_whose_answer_was_lost_is_found_not_made_twice(outbox, approved_post):
    state = outbox
    post = approved_post()
    job, adapter, owner = _job(post)
    adapter.prepare_images(job)
    adapter.create_draft(job)
    job.started("publish")
    adapter.client.freepublish.submit(job.publication.draft_media_id)  # its answer is lost
    db.session.commit()
    assert run_publication(job.publication.id, owner) == "published"
    db.session.expire_all()
    pub = get_publication(job.publication.id)
    account = state.account(pub.channel.app_id)
    (article,) = account.articles.values()
    assert pub.article_id == article.article_id and pub.url == article.url(1)
    assert len(account.publishes) == 1  # the second submit was refused: nothing published twice
    assert pub.progress["publish"]["lost"] is True


def test_a_refused_call_is_not_in_doubt(outbox, approved_post):
    """A call the platform answered with an error did nothing: the next try sends again without
    looking for what it might have made."""
    state = outbox
    state.inject_fault("draft/add", errcode=-1, times=1)
    post = approved_post()
    schedule(get_by_username("account_admin"), post)
    run_due(post.id)
    db.session.expire_all()
    (pub,) = publications_for(post)
    assert pub.state == "published"
    assert _calls(state, "draft/batchget") == 0 and _calls(state, "draft/add") == 2


def test_toutiao_create_whose_answer_was_lost_reuses_the_first_article(outbox, approved_post):
    state = outbox
    post = approved_post(channels=("星海头条号",))
    job, adapter, owner = _job(post)
    adapter.prepare_images(job)
    a = job.article
    first = adapter.client.create_article(title=a.title, content=replace_images(a.html, job.publication.image_urls),
                                          cover_image_ids=[job.publication.thumb_media_id],
                                          client_id=job.publication.client_ref)["article_id"]
    db.session.commit()
    assert run_publication(job.publication.id, owner) == "published"
    db.session.expire_all()
    pub = get_publication(job.publication.id)
    assert pub.article_id == first
    assert len(state.toutiao_account(pub.channel.app_id).articles) == 1  # 70006: the first one, reused


