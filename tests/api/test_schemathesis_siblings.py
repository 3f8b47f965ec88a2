"""Schemathesis on the sibling blueprints' operations (issue 18) as the roles that act on them and
are not in tests/api/test_schemathesis.py's ROLES: the leader in charge (approves filed work groups,
G2), the group administrator (records approved groups, G2; adds members), and the moderator again
with a comment that exists (a reply to aim at; the main run has no comment to find). WeChat Pay's
operations have their own run (tests/payments/test_schemathesis_payments.py). Never a 500, every
answer as documented. The platforms sit on a closed loopback port: nothing real is called.
`pytest -s` prints the figures per role."""
from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode

from tests.api.test_schemathesis import _coverage, _path_sets, _run, _token
from tests.conftest import _close, make_app

CLOSED = "http://127.0.0.1:9/"
# role → the sibling paths it exercises here
SCOPE = {"leader": ("/groups",), "group_admin": ("/groups",), "moderator": ("/comments",)}


def _seed(app) -> dict:
    from datetime import timedelta

    from sqlalchemy import select

    from cms import workdays
    from cms.auth.service import get_by_username
    from cms.channels.models import Channel
    from cms.comments.models import CommentThread, FollowerComment
    from cms.extensions import db
    from cms.groups import operations as groups
    from tests.groups.conftest import active_group, file_group

    with app.app_context():
        filed = [file_group("待批准工作群一").id, file_group("待批准工作群二").id]  # for the leader (G2)
        approved = file_group("已批准待登记群")
        groups.approve(get_by_username("leader"), approved)  # for the group administrator to record
        ids = {"group_id": [*filed, approved.id, active_group().id]}
        channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
        thread = CommentThread(channel_id=channel.id, msg_data_id="2247480001", index=0, title="年度报告")
        db.session.add(thread)
        db.session.flush()
        comment = FollowerComment(thread_id=thread.id, channel_id=channel.id, msg_data_id="2247480001", index=0,
                                  user_comment_id=1, openid="o_follower_1", nickname="粉丝甲",
                                  content="<script>alert(1)</script>请问报告在哪里下载？",
                                  created_at=workdays.now() - timedelta(hours=1))
        db.session.add(comment)
        db.session.commit()
        ids["comment_id"] = [comment.id]
        return ids


@pytest.mark.parametrize("role", sorted(SCOPE))
def test_the_sibling_api_keeps_its_document(templates, tmp_path, role):
    app = make_app(templates, tmp_path, WECHAT_API_BASE_URL=CLOSED, WECOM_API_BASE_URL=CLOSED,
                   WECHATPAY_API_BASE_URL=CLOSED)
    try:
        ids, token = _seed(app), _token(app, role)
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        operations, requests, failures, statuses = 0, 0, [], {}
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith(SCOPE[role]):
                continue
            operations += 1
            try:
                requests += _coverage(operation, token, statuses)
            except (Exception, BaseExceptionGroup) as e:
                failures.append(f"{operation.label} coverage: {e}")
            for path_parameters in _path_sets(operation, ids):
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    try:
                        requests += _run(operation, token, path_parameters, mode, statuses)
                    except (Exception, BaseExceptionGroup) as e:
                        failures.append(f"{operation.label} {mode.value} {path_parameters}: {e}")
        print(f"\nschemathesis (siblings) as {role}: {operations} operations, {requests} requests, "
              f"{len(failures)} failing; answers {dict(sorted(statuses.items()))}")
        assert operations == {"/groups": 6, "/comments": 2}[SCOPE[role][0]]
        assert not failures, "\n\n".join(failures)
        if role == "leader":  # the seeded filings were there to approve: one of them was
            assert statuses.get(200, 0) + statuses.get(201, 0) > 0
    finally:
        _close(app)
