"""Article comments on an official account (WECHAT_API.md 1.6) through wechatpy's
`client.material.*_comment`: every call passes `index` (0-based; wechatpy defaults to 1) and the
msg_data_id as a number; a listing pages with `count` at most 49 (DESIGN.md "Lessons": the docs
disagree whether 50 is allowed, wechatpy's default of 50 can be refused). Failures leave as
CallError (calls.translated), described in Chinese by errors.describe."""
from __future__ import annotations

from collections.abc import Iterator

from cms.platforms.calls import translated

MAX_PAGE = 49


def _id(msg_data_id) -> int:
    return int(msg_data_id)


def list_page(client, msg_data_id, index: int, begin: int = 0, count: int = MAX_PAGE, kind: int = 0) -> dict:
    """One page: {"total", "comment": [...]}; `kind` 0 all, 1 normal, 2 selected (精选)."""
    count = max(1, min(int(count), MAX_PAGE))
    with translated():
        return client.material.list_comment(_id(msg_data_id), index=index, begin=begin, count=count, type=kind)


def list_all(client, msg_data_id, index: int, page_size: int = MAX_PAGE, max_pages: int = 1000) -> Iterator[dict]:
    """Every comment of the article, page after page as the platform pages them."""
    begin = 0
    for _page in range(max_pages):
        answer = list_page(client, msg_data_id, index, begin, page_size)
        items = answer.get("comment") or []
        yield from items
        begin += len(items)
        if not items or begin >= int(answer.get("total") or 0):
            return


def set_open(client, msg_data_id, index: int, is_open: bool) -> None:
    with translated():
        if is_open:
            client.material.open_comment(_id(msg_data_id), index=index)
        else:
            client.material.close_comment(_id(msg_data_id), index=index)


def reply(client, msg_data_id, index: int, user_comment_id: int, content: str) -> None:
    with translated():
        client.material.add_reply_comment(_id(msg_data_id), index, int(user_comment_id), content)


def delete_reply(client, msg_data_id, index: int, user_comment_id: int) -> None:
    with translated():
        client.material.delete_reply_comment(_id(msg_data_id), index, int(user_comment_id))


def mark_featured(client, msg_data_id, index: int, user_comment_id: int, featured: bool) -> None:
    with translated():
        if featured:
            client.material.markelect_comment(_id(msg_data_id), index, int(user_comment_id))
        else:
            client.material.unmarkelect_comment(_id(msg_data_id), index, int(user_comment_id))


def delete(client, msg_data_id, index: int, user_comment_id: int) -> None:
    with translated():
        client.material.delete_comment(_id(msg_data_id), index, int(user_comment_id))
