"""Comments on what followers received (WECHAT_API.md 1.6): each published or mass-sent message has a
thread per article, keyed by its msg_data_id (opened by publishing.py and mass.py in the core's
`msg_data`); comment/open, close, list, markelect, unmarkelect, delete, reply/add, reply/delete.
Followers are played by tests: `add_comment`, `user_delete_comment`."""

from __future__ import annotations

import itertools

from cms.sandbox.core import Core
from cms.sandbox.models import ApiError, Comment, MsgData, as_int, as_str

COMMENT_COUNT_LIMIT = 50  # count must be below this (88010)


def _comment_json(c: Comment) -> dict:
    item = {
        "user_comment_id": c.user_comment_id,
        "openid": c.openid,
        "create_time": c.create_time,
        "content": c.content,
        "comment_type": c.comment_type,
    }
    if c.reply is not None:
        item["reply"] = dict(c.reply)
    if c.nickname:  # a sandbox extension (the follower page's name); absent on the real platform
        item["nickname"] = c.nickname
    return item


class Comments:
    """`state.comment`."""

    def __init__(self, core: Core):
        self.core = core
        self.lock = core.lock

    def reset(self) -> None:
        with self.lock:
            self._comment_ids = itertools.count(1)

    def _msg(self, appid: str, body: dict) -> tuple[MsgData, int]:
        md = self.core.msg_data.get(as_int(body.get("msg_data_id")))
        if md is None or md.appid != appid or not md.article_id:
            raise ApiError(88001, "msg_data is not exists")
        index = body.get("index", 0)
        if not isinstance(index, int) or not 0 <= index < len(md.open):
            raise ApiError(88001, "msg_data is not exists hint: index is 0-based")
        return md, index

    def _comment(self, md: MsgData, index: int, body: dict) -> Comment:
        ucid = as_int(body.get("user_comment_id"))
        for c in md.comments[index]:
            if c.user_comment_id == ucid and not c.deleted:
                if c.user_deleted:
                    raise ApiError(88004, "comment was deleted by user")
                return c
        raise ApiError(88008, "comment is not exists")

    def add_comment(self, msg_data_id: int, index: int, openid: str, content: str, nickname: str = "") -> int:
        """Test helper: a follower comments on article `index` (0-based). Returns user_comment_id."""
        with self.lock:
            self.core.tick()
            md = self.core.msg_data.get(int(msg_data_id))
            if md is None or not md.article_id:
                raise ValueError(f"no published article with msg_data_id {msg_data_id}")
            if not md.open[index]:
                raise ValueError("comments are closed on this article (need_open_comment=0; comment/open)")
            c = Comment(
                user_comment_id=next(self._comment_ids),
                openid=openid,
                content=content,
                create_time=int(self.core.now()),
                nickname=nickname,
            )
            md.comments[index].append(c)
            return c.user_comment_id

    def user_delete_comment(self, msg_data_id: int, index: int, user_comment_id: int) -> None:
        """Test helper: the follower deletes their comment (later operations: 88004)."""
        with self.lock:
            for c in self.core.msg_data[int(msg_data_id)].comments[index]:
                if c.user_comment_id == user_comment_id:
                    c.user_deleted = True

    def set_open(self, appid: str, body: dict, is_open: bool) -> dict:
        with self.lock:
            self.core.tick()
            md, index = self._msg(appid, body)
            md.open[index] = is_open
            return {}

    def list_comments(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            md, index = self._msg(appid, body)
            begin, count, ctype = body.get("begin", 0), body.get("count"), body.get("type", 0)
            if not isinstance(count, int) or not 0 < count < COMMENT_COUNT_LIMIT:
                raise ApiError(88010, "count range error. cout <= 0 or count > 50")
            if not isinstance(begin, int) or begin < 0 or ctype not in (0, 1, 2):
                raise ApiError(47001, "data format error hint: begin >= 0, type 0/1/2")
            visible = [c for c in md.comments[index] if not c.deleted and not c.user_deleted]
            if ctype == 1:
                visible = [c for c in visible if c.comment_type == 0]
            elif ctype == 2:
                visible = [c for c in visible if c.comment_type == 1]
            page = visible[begin : begin + count]
            return {"total": len(visible), "comment": [_comment_json(c) for c in page]}

    def elect(self, appid: str, body: dict, elect: bool) -> dict:
        with self.lock:
            self.core.tick()
            md, index = self._msg(appid, body)
            self._comment(md, index, body).comment_type = 1 if elect else 0
            return {}

    def delete(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            md, index = self._msg(appid, body)
            self._comment(md, index, body).deleted = True
            return {}

    def reply(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            md, index = self._msg(appid, body)
            c = self._comment(md, index, body)
            content = as_str(body.get("content"))
            if not content.strip():
                raise ApiError(88007, "reply content length out of range")
            if c.reply is not None:
                raise ApiError(88005, "already reply")
            c.reply = {"content": content, "create_time": int(self.core.now())}
            return {}

    def delete_reply(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            md, index = self._msg(appid, body)
            c = self._comment(md, index, body)
            if c.reply is None:
                raise ApiError(88009, "reply is not exists")
            c.reply = None
            return {}

    def commentable(self) -> list[tuple[MsgData, int]]:
        """(thread, 0-based index) of every published article with comments open: the follower page's choice."""
        with self.lock:
            return [(md, i) for md in self.core.msg_data.values() if md.article_id
                    for i, is_open in enumerate(md.open) if is_open]

    def shown(self, msg_data_id: int, index: int) -> list[Comment]:
        """What a reader sees under the article: comments not deleted, with their replies."""
        with self.lock:
            md = self.core.msg_data.get(int(msg_data_id))
            if md is None or not 0 <= index < len(md.comments):
                return []
            return [c for c in md.comments[index] if not c.deleted and not c.user_deleted]

    def comments_of(self, msg_data_id: int) -> list[list[Comment]]:
        with self.lock:
            return self.core.msg_data[int(msg_data_id)].comments
