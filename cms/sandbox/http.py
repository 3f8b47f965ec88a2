"""What every emulated API call goes through: latency, injected faults, the access token, the raw
JSON body (wechatpy posts JSON without a Content-Type), and the answer as HTTP 200 + JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Blueprint, Response, request

from cms.sandbox.models import ApiError

if TYPE_CHECKING:
    from cms.sandbox.state import SandboxState


def json_response(payload: dict, status: int = 200) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


class Call:
    """One request as the handlers see it."""

    def __init__(self, owner: str | None):
        self.owner = owner  # appid / app_id of the token (None for token endpoints)
        self.args = request.args
        self.base_url = request.url_root  # http://host[/script-root]/
        self._body: dict | None = None

    @property
    def body(self) -> dict:
        if self._body is None:
            self._body = parse_body()
        return self._body

    def file(self, name: str = "media") -> bytes | None:
        f = request.files.get(name)
        return f.read() if f is not None else None


def parse_body() -> dict:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(44002, "empty post data")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ApiError(47001, "data format error") from e
    if not isinstance(body, dict):
        raise ApiError(47001, "data format error")
    return body


def _peek_owner(state: SandboxState) -> str | None:
    """Whose call this is, for per-account switches: the token's owner or the appid asked for."""
    owner = state.auth.owner(request.args.get("access_token"))
    if owner:
        return owner
    owner = request.args.get("appid")
    if owner:
        return owner
    if request.mimetype != "multipart/form-data":
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            return None
        if isinstance(body, dict):
            return body.get("appid") or body.get("app_id")
    return None


def add_api(
    bp: Blueprint,
    state: SandboxState,
    prefix: str,
    platform: str,
    rule: str,
    handler: Callable[[Call], dict],
    *,
    methods: tuple[str, ...] = ("POST",),
    auth: bool = True,
    envelope: bool = True,
) -> None:
    """Serve `prefix + rule` with `handler(call) -> dict` (the success body) behind the switches.
    `envelope`: add errcode 0 / errmsg "ok" to a success (the MP token calls answer without them)."""

    def view():
        owner = _peek_owner(state)
        latency = state.setting("latency_ms", owner) if owner else state.setting("latency_ms")
        if latency:
            state.pause(latency / 1000)  # outside the lock: concurrent calls overlap, as on the real host
        state.record_call(request.path, owner)
        fault = state.switches.take_fault(request.path, owner)
        if fault is not None:
            if fault.http_status is not None:
                return Response(
                    f"sandbox: injected HTTP {fault.http_status}\n",
                    status=fault.http_status,
                    mimetype="text/plain",
                )
            return json_response({"errcode": fault.errcode, "errmsg": fault.errmsg or "injected fault"})
        try:
            call = Call(state.auth.check(request.args.get("access_token"), platform) if auth else None)
            result = handler(call)
        except ApiError as e:
            return json_response(e.payload())
        return json_response({"errcode": 0, "errmsg": "ok", **result} if envelope else result)

    endpoint = f"{platform}_" + rule.replace("/", "_")
    bp.add_url_rule(f"{prefix}{rule}", endpoint=endpoint, view_func=view, methods=list(methods))
