"""Official-account drafts (WECHAT_API.md 1.3): draft/add, update, get, delete, batchget, count.
The limits and what the platform does to article HTML (scripts, event attributes, javascript:
links and images not uploaded through uploadimg or add_material go; the digest of a single article
defaults to its first 54 characters). A draft leaves the box when it is published or mass-sent."""

from __future__ import annotations

import html
import re

from cms.sandbox.core import Core
from cms.sandbox.media import MediaStore
from cms.sandbox.models import IMG_SRC, SANDBOX_MEDIA, SCRIPT, Account, ApiError, Draft, as_str, batchget_page

# Article limits (WECHAT_API.md 1.3)
TITLE_MAX, AUTHOR_MAX, DIGEST_MAX, CONTENT_MAX_CHARS = 32, 16, 128, 20000
CONTENT_MAX_BYTES, SOURCE_URL_MAX_BYTES, DIGEST_DEFAULT_CHARS, ARTICLES_MAX = 1024 * 1024, 1024, 54, 8

_EVENT_ATTR = re.compile(r"""\s+on[a-z]+\s*=\s*(".*?"|'.*?'|[^\s>]+)""", re.I | re.S)
_JS_HREF = re.compile(r"""(href\s*=\s*["'])\s*javascript:[^"']*""", re.I)
_TAG = re.compile(r"<[^>]+>")


def text_of(content: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", content)).split())


def news_item(art: dict, *, url: str, no_content: bool = False, **extra) -> dict:
    """One article as draft/get, freepublish/getarticle and the batchget calls list it."""
    item = {k: v for k, v in art.items() if k != "article_type"}
    if no_content:
        item.pop("content")
    item["url"] = url
    item.update(extra)
    return item


class Drafts:
    """`state.draft`: the draft box of every account."""

    def __init__(self, core: Core, media: MediaStore):
        self.core = core
        self.lock = core.lock
        self.media = media

    def _clean_article(self, acct: Account, raw, *, single: bool) -> dict:
        if not isinstance(raw, dict):
            raise ApiError(47001, "data format error hint: an article must be a JSON object")
        title = as_str(raw.get("title"))
        content = as_str(raw.get("content"))
        author = as_str(raw.get("author"))
        digest = as_str(raw.get("digest"))
        source_url = as_str(raw.get("content_source_url"))
        article_type = as_str(raw.get("article_type")) or "news"
        if not title:
            raise ApiError(44003, "empty news data hint: title missing")
        if not content:
            raise ApiError(44003, "empty news data hint: content missing")
        if len(title) > TITLE_MAX:
            raise ApiError(45003, "title size out of limit")
        if len(author) > AUTHOR_MAX:
            raise ApiError(45110, "author size out of limit")
        if len(digest) > DIGEST_MAX:
            raise ApiError(45004, "description size out of limit")
        if len(content) >= CONTENT_MAX_CHARS or len(content.encode("utf-8")) >= CONTENT_MAX_BYTES:
            raise ApiError(45002, "content size out of limit")
        if len(source_url.encode("utf-8")) > SOURCE_URL_MAX_BYTES:
            raise ApiError(45005, "url size out of limit")
        thumb_id = as_str(raw.get("thumb_media_id"))
        thumb = acct.materials.get(thumb_id) if thumb_id else None
        if article_type == "news" and thumb is None:
            raise ApiError(40007, "invalid media_id" + ("" if thumb_id else " hint: thumb_media_id missing"))
        content = self._strip_content(content)
        if single and not digest:
            digest = text_of(content)[:DIGEST_DEFAULT_CHARS]
        return {
            "article_type": article_type,
            "title": title,
            "author": author,
            "digest": digest,
            "content": content,
            "content_source_url": source_url,
            "thumb_media_id": thumb_id,
            "thumb_url": thumb.url if thumb else "",
            "need_open_comment": 1 if raw.get("need_open_comment") in (1, True, "1") else 0,
            "only_fans_can_comment": 1 if raw.get("only_fans_can_comment") in (1, True, "1") else 0,
        }

    def _strip_content(self, content: str) -> str:
        """What the platform does to article HTML: scripts and foreign images go."""
        content = SCRIPT.sub("", content)
        content = _EVENT_ATTR.sub("", content)
        content = _JS_HREF.sub(r"\1#", content)

        def keep_own(m: re.Match) -> str:
            own = SANDBOX_MEDIA.search(m.group(2))
            return m.group(0) if own and own.group(1) in self.media.images else ""

        return IMG_SRC.sub(keep_own, content)

    def find(self, acct: Account, media_id) -> Draft:
        """The account's draft of this media_id, else 40007 (under the lock; freepublish and mass use it)."""
        draft = acct.drafts.get(media_id) if isinstance(media_id, str) else None
        if draft is None:
            raise ApiError(40007, "invalid media_id")
        return draft

    def add(self, appid: str, body: dict, base_url: str) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            articles = body.get("articles")
            if isinstance(articles, dict):
                articles = [articles]
            if not isinstance(articles, list) or not articles:
                raise ApiError(44003, "empty news data")
            if len(articles) > ARTICLES_MAX:
                raise ApiError(45008, "article size out of limit")
            cleaned = [self._clean_article(acct, a, single=len(articles) == 1) for a in articles]
            now = int(self.core.now())
            draft = Draft(
                media_id=self.core.new_id(32),
                appid=appid,
                articles=cleaned,
                create_time=now,
                update_time=now,
                base_url=base_url,
            )
            acct.drafts[draft.media_id] = draft
            return {"media_id": draft.media_id}

    def update(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            draft = self.find(acct, body.get("media_id"))
            article = body.get("articles")
            if not isinstance(article, dict):
                raise ApiError(47001, "data format error hint: articles must be one object, not a list")
            index = body.get("index")
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(draft.articles):
                raise ApiError(40007, "invalid media_id hint: index out of range")
            if draft.publishing:
                raise ApiError(53501, "draft is being published")
            draft.articles[index] = self._clean_article(acct, article, single=len(draft.articles) == 1)
            draft.update_time = int(self.core.now())
            return {}

    def get(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            draft = self.find(self.core.accounts[appid], body.get("media_id"))
            return {"news_item": self._items(draft)}

    def _items(self, draft: Draft, no_content: bool = False) -> list[dict]:
        return [
            news_item(
                a, url=f"{draft.base_url}sandbox/drafts/{draft.media_id}?idx={i}", no_content=no_content
            )
            for i, a in enumerate(draft.articles, 1)
        ]

    def delete(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            draft = self.find(acct, body.get("media_id"))
            if draft.publishing:
                raise ApiError(53501, "draft is being published")
            del acct.drafts[draft.media_id]
            return {}

    def batchget(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            offset, count = batchget_page(body)
            no_content = bool(body.get("no_content"))
            drafts = sorted(self.core.accounts[appid].drafts.values(), key=lambda d: d.update_time, reverse=True)
            page = drafts[offset : offset + count]
            return {
                "total_count": len(drafts),
                "item_count": len(page),
                "item": [
                    {
                        "media_id": d.media_id,
                        "content": {"news_item": self._items(d, no_content)},
                        "update_time": d.update_time,
                    }
                    for d in page
                ],
            }

    def count(self, appid: str) -> dict:
        with self.lock:
            self.core.tick()
            return {"total_count": len(self.core.accounts[appid].drafts)}
