"""Schemathesis against /api/v1/openapi.json, as each main role: for every operation, bounded
generated requests, valid and invalid, must never answer 5xx, and every answer must keep the
document: its status documented for the operation, its body the documented schema (errors the one
Error shape), its headers (a 405's `Allow`), and an invalid request refused with a 4xx.

Each role gets an app of its own (the demo company, plus a draft, a post in review and an approved
post of the contributor's), so state built by one request is there for the next, as on a server.
Path ids are drawn at random (mostly unknown: 404) and also fixed to the seeded objects, so the
operations run on things that exist. Hypothesis is derandomised: the same requests every run.
`pytest -s` prints the figures (operations, requests, time) per role."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import _close, make_app

# The main roles of the demo company (cms/demo.py): a writer, a reviewer per kind of step, the
# account administrator, the auditor and the system administrator.
ROLES = ("contributor", "department_head", "editor", "supervisor", "account_admin", "auditor", "sysadmin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
EXAMPLES = 5  # per operation, role, mode (valid / invalid) and set of path ids


def _seed(app) -> dict:
    """A draft, a post in review and an approved one, filed by the contributor; → ids to aim at."""
    from sqlalchemy import select

    from cms.auth.service import get_by_username
    from cms.channels.models import Channel
    from cms.content import service as content
    from cms.content.checks.base import WARNING
    from cms.extensions import db
    from cms.workflow import service as workflow
    from tests.publishing.conftest import approve_chain

    with app.app_context():
        author = get_by_username("contributor")
        channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))

        def post(title):
            return content.create_post(author, {
                "title": title, "author": "张晓雯", "digest": "摘要", "category": "news", "channels": [channel.id],
                "body": {"format": "markdown", "text": "集团今天发布年度社会责任报告，回顾一年来的工作。"},
                "source": {"kind": "original"}})

        def submitted(title):
            p = post(title)
            workflow.submit(author, p, {f.id: "已知晓" for f in content.findings(p) if f.severity == WARNING})
            return p

        draft, in_review, approved = post("草稿一篇"), submitted("送审一篇"), submitted("已批准一篇")
        approve_chain(approved)
        content.save(author, draft, {"title": "草稿一篇（修改）"}, 1)  # a second revision to diff
        from tests.groups.conftest import active_group, file_group

        groups = [active_group().id, file_group("待批准工作群").id]  # work groups: active, filed (G2)
        return {"post_id": [draft.id, in_review.id, approved.id], "channel_id": [channel.id],
                "user_id": [get_by_username("moderator").id], "a": [1], "b": [2], "group_id": groups}


def _token(app, role: str) -> str:
    from cms.auth.service import create_token, get_by_username

    with app.app_context():
        return create_token(get_by_username(role), "schemathesis")


def _path_sets(operation, ids: dict) -> list[dict | None]:
    """None (every path id drawn at random), then each seeded object's ids."""
    names = [p.name for p in operation.path_parameters]
    if not names:
        return [None]
    width = max(len(ids.get(n, [])) for n in names)
    return [None, *({n: ids[n][i % len(ids[n])] for n in names if n in ids} for i in range(width))]


def _run(operation, token: str, path_parameters, mode, statuses: dict) -> int:
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        nonlocal sent
        sent += 1
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    run()
    return sent


def _coverage(operation, token: str, statuses: dict) -> int:
    """Schemathesis' coverage phase: each parameter and body field at its bounds and just past them,
    of every wrong type, missing, and the body's required fields alone (deterministic)."""
    from schemathesis.generation.hypothesis.builder import (
        HypothesisTestConfig,
        HypothesisTestMode,
        create_test,
    )

    sent = 0

    def run(case):
        nonlocal sent
        sent += 1
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    test = create_test(operation=operation, test_func=run, config=HypothesisTestConfig(
        project=operation.schema.config, modes=[HypothesisTestMode.COVERAGE],
        settings=settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))))
    test()
    return sent


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_document(templates, tmp_path, role):
    app = make_app(templates, tmp_path)  # no app context pushed: each request has its own, as in production
    try:
        ids, token = _seed(app), _token(app, role)
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        operations, requests, failures, statuses = 0, 0, [], {}
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            try:
                requests += _coverage(operation, token, statuses)
            except (Exception, BaseExceptionGroup) as e:
                failures.append(f"{operation.label} coverage: {e}")
            for path_parameters in _path_sets(operation, ids):
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    try:
                        requests += _run(operation, token, path_parameters, mode, statuses)
                    except (Exception, BaseExceptionGroup) as e:  # every operation is tried, all failures told
                        failures.append(f"{operation.label} {mode.value} {path_parameters}: {e}")
        print(f"\nschemathesis as {role}: {operations} operations, {requests} requests, "
              f"{len(failures)} failing; answers {dict(sorted(statuses.items()))}")
        assert not failures, "\n\n".join(failures)
    finally:
        _close(app)
