"""Schemathesis on the WeChat Pay operations only, as the roles that use them (finance, the leader,
the custodian, an employee): never a 500, every answer as documented. (tests/api/test_schemathesis.py
runs every operation as the other main roles.)"""
from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode

from tests.api.test_schemathesis import _coverage, _path_sets, _run, _token
from tests.conftest import _close, make_app


@pytest.mark.parametrize("role", ("finance", "leader", "payment_custodian", "contributor"))
def test_the_payment_api_keeps_its_document(templates, tmp_path, role):
    # WeChat Pay on a closed loopback port: a download fails at once (422 "platform"), no real host is called
    app = make_app(templates, tmp_path, WECHATPAY_API_BASE_URL="http://127.0.0.1:9/")
    try:
        token = _token(app, role)
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        failures, statuses, operations = [], {}, 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith("/payments"):
                continue
            operations += 1
            try:
                _coverage(operation, token, statuses)
            except (Exception, BaseExceptionGroup) as e:
                failures.append(f"{operation.label} coverage: {e}")
            for path_parameters in _path_sets(operation, {"enrolment_id": [1], "payment_id": [1], "anomaly_id": [1], "day_id": [1]}):
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    try:
                        _run(operation, token, path_parameters, mode, statuses)
                    except (Exception, BaseExceptionGroup) as e:
                        failures.append(f"{operation.label} {mode.value} {path_parameters}: {e}")
        assert operations == 11
        assert not failures, "\n\n".join(failures)
    finally:
        _close(app)
