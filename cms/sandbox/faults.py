"""The switches that make the platform misbehave on purpose: injected faults (an errcode or an
HTTP status for the next calls to a path), planned outcomes (a freepublish job that fails, a mass
send refused after it was accepted, a Toutiao review that rejects) and the quota reset. The HTTP
layer (http.py) takes a fault before each call; the concerns take their planned outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cms.sandbox.core import Core

DEFAULT_ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    42001: "access_token expired",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, mustslower retry next minute",
    45028: "has no masssend quota",
    45066: "clientmsgid retry too fast, retry after 1 minute",
    48001: "api unauthorized",
    53500: "publish page is banned",
    53501: "publishing too frequently",
    53503: "this draft failed the publish check",
    53504: "please use this draft in the mp console",
    53505: "please save the draft manually first",
    70003: "rejected",
}


@dataclass
class Fault:
    path: str
    times: int
    errcode: int | None = None
    errmsg: str | None = None
    http_status: int | None = None
    appid: str | None = None
    after: int = 0  # calls to let through first

    def matches(self, path: str, owner: str | None) -> bool:
        if self.times <= 0 or (self.appid is not None and self.appid != owner):
            return False
        want = "/" + self.path.strip("/")
        path = path.rstrip("/")
        return path == want or path.endswith(want)


class Switches:
    """`state.switches`: the faults and planned outcomes, in the order they were set."""

    def __init__(self, core: Core):
        self.core = core
        self.lock = core.lock

    def reset(self) -> None:
        with self.lock:
            self.faults: list[Fault] = []
            self.publish_outcomes: list[dict] = []
            self.mass_outcomes: list[dict] = []
            self.toutiao_rejections: list[dict] = []

    def inject_fault(
        self,
        path: str,
        *,
        errcode: int | None = None,
        http_status: int | None = None,
        times: int = 1,
        appid: str | None = None,
        errmsg: str | None = None,
        after: int = 0,
    ) -> Fault:
        """The next `times` calls to `path` ("draft/add" or a full path such as "/mp/cgi-bin/draft/add")
        answer `errcode` (HTTP 200) or HTTP `http_status` (`after`: once that many calls went through)."""
        if (errcode is None) == (http_status is None):
            raise ValueError("give exactly one of errcode and http_status")
        with self.lock:
            fault = Fault(
                path=path,
                times=int(times),
                errcode=errcode,
                http_status=http_status,
                appid=appid,
                errmsg=errmsg or (None if errcode is None else DEFAULT_ERRMSG.get(errcode)),
                after=int(after),
            )
            self.faults.append(fault)
            return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self.publish_outcomes.clear()
            self.mass_outcomes.clear()
            self.toutiao_rejections.clear()

    def take_fault(self, path: str, owner: str | None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(path, owner):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.times -= 1
                    return fault
            return None

    def fail_next_publish(
        self, status: int = 3, *, fail_idx: list[int] | None = None, times: int = 1, appid: str | None = None
    ) -> None:
        """The next `times` freepublish submissions end in `status` (2 originality, 3 ordinary failure,
        4 rejected by review) instead of 0."""
        if status not in (2, 3, 4):
            raise ValueError("a failed publication ends in status 2, 3 or 4")
        with self.lock:
            self.publish_outcomes.append(
                {"status": status, "fail_idx": fail_idx, "times": times, "appid": appid}
            )

    def fail_next_mass(self, status: str = "send fail", *, times: int = 1, appid: str | None = None) -> None:
        """The next `times` mass sends are accepted (msg_id) but end in `status` ("send fail", or
        "err(N)" for a review refusal, e.g. err(20013) copyright): message/mass/get answers SEND_FAIL,
        nothing reaches the followers, no quota is used and the draft stays in the box."""
        if not (status == "send fail" or re.fullmatch(r"err\(\d+\)", status)):
            raise ValueError('a failed mass send ends in "send fail" or "err(N)"')
        with self.lock:
            self.mass_outcomes.append({"status": status, "times": times, "appid": appid})

    def reject_next_toutiao(
        self, reason: str = "内容不符合平台规范", *, times: int = 1, app_id: str | None = None
    ) -> None:
        with self.lock:
            self.toutiao_rejections.append({"reason": reason, "times": times, "app_id": app_id})

    def reset_quota(self, appid: str | None = None) -> None:
        with self.lock:
            for acct in self.core.accounts.values():
                if appid is None or acct.appid == appid:
                    acct.pushes.clear()
            for tacct in self.core.toutiao_accounts.values():
                if appid is None or tacct.app_id == appid:
                    tacct.publishes.clear()

    def take_mass_outcome(self, appid: str) -> str | None:
        """The failure planned for this mass send ("send fail" / "err(N)"), else None (under the lock)."""
        for plan in self.mass_outcomes:
            if plan["times"] > 0 and plan["appid"] in (None, appid):
                plan["times"] -= 1
                return plan["status"]
        return None

    def take_publish_outcome(self, appid: str) -> tuple[int, list[int]]:
        """The status this freepublish job will reach and its fail_idx (0, [] unless a failure is
        planned; under the lock)."""
        for plan in self.publish_outcomes:
            if plan["times"] > 0 and plan["appid"] in (None, appid):
                plan["times"] -= 1
                return plan["status"], plan["fail_idx"] or [1]
        return 0, []

    def take_rejection(self, app_id: str) -> str | None:
        """The reason a Toutiao review planned to reject with, else None (under the lock)."""
        for plan in self.toutiao_rejections:
            if plan["times"] > 0 and plan["app_id"] in (None, app_id):
                plan["times"] -= 1
                return plan["reason"]
        return None
