"""What every part of the sandbox shares: one re-entrant lock, the clock, the switches (settings,
globally or per account), the accounts, the log of API calls, and the ids and counters that more
than one platform concern draws from.

`Core` is the base of `SandboxState` (state.py); each concern (tokens.py, drafts.py, mass.py, ...)
is a small class handed the core, and works under `core.lock`. Time is `core.now()`: the real clock
plus an offset that `advance()` moves, so tests can age tokens, quotas and publications without
sleeping (time-machine works too). `tick()` finishes what has come due: the concerns that have
background progress (freepublish jobs, Toutiao reviews) register it with `on_tick`.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from cms.sandbox.models import (
    ACCOUNT_KINDS,
    DEFAULT_SETTINGS,
    SANDBOX_SECRET,
    Account,
    MsgData,
    ToutiaoAccount,
)


class Core:
    """The shared memory and switches. Thread-safe: every public method holds `self.lock`."""

    def __init__(self, clock: Callable[[], float]):
        self.lock = threading.RLock()
        self.clock = clock
        self._progress: list[Callable[[float], None]] = []  # run by tick(), in registration order

    def reset_core(self) -> None:
        """Forget the accounts, switches, call log and counters, and the clock offset."""
        with self.lock:
            self.offset = 0.0
            self.default_kind = "service"
            self.settings: dict = dict(DEFAULT_SETTINGS)
            self.overrides: dict[str, dict] = {}  # per appid / app_id
            self.accounts: dict[str, Account] = {}
            self.toutiao_accounts: dict[str, ToutiaoAccount] = {}
            # Comment threads, one per published or mass-sent message (publishing, mass, comments).
            self.msg_data: dict[int, MsgData] = {}
            # Callbacks under way belong to an epoch; a reset abandons them (callbacks.py).
            self.epoch = getattr(self, "epoch", 0) + 1
            self.calls: deque[tuple[float, str, str | None]] = deque(maxlen=10000)  # (time, path, owner)
            self.msg_data_ids = itertools.count(2247483647)  # freepublish and mass send
            self.publish_ids = itertools.count(2247483800)  # freepublish and Toutiao

    # --- clock and switches -------------------------------------------------------------------

    def now(self) -> float:
        return self.clock() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (tokens age, quotas roll over, publications finish)."""
        with self.lock:
            self.offset += seconds

    def setting(self, name: str, owner: str | None = None):
        with self.lock:
            if owner is not None and name in self.overrides.get(owner, {}):
                return self.overrides[owner][name]
            return self.settings[name]

    def configure(self, appid: str | None = None, **settings) -> None:
        """Set switches globally or for one appid / app_id: latency_ms, token_expires_in, token_grace,
        publish_delay, review_delay, push_quota, ... (see DEFAULT_SETTINGS)."""
        unknown = set(settings) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown sandbox settings: {sorted(unknown)}")
        with self.lock:
            target = self.settings if appid is None else self.overrides.setdefault(appid, {})
            target.update(settings)

    def set_latency(self, ms: float, appid: str | None = None) -> None:
        self.configure(appid, latency_ms=ms)

    def pause(self, seconds: float) -> None:
        """The latency switch's wait, taken by each call outside the lock (http.py). One place, so a
        test can hold a call in flight and see that only it waits (bench/sandbox_latency.py times it)."""
        time.sleep(seconds)

    def record_call(self, path: str, owner: str | None) -> None:
        with self.lock:
            self.calls.append((self.now(), path, owner))

    def new_id(self, n: int = 32) -> str:
        # Real media ids are ~43-64 url-safe characters.
        return secrets.token_urlsafe(n).replace("-", "A").replace("_", "z")

    def new_article_id(self) -> str:
        return f"SBX_{self.new_id(24)}"

    # --- background progress ------------------------------------------------------------------

    def on_tick(self, finish_due: Callable[[float], None]) -> None:
        """Have `finish_due(now)` run on every tick (under the lock)."""
        self._progress.append(finish_due)

    def tick(self) -> None:
        """Finish publications and reviews whose time has come."""
        with self.lock:
            now = self.now()
            for finish_due in self._progress:
                finish_due(now)

    # --- accounts -----------------------------------------------------------------------------

    def add_account(
        self, appid: str, secret: str = SANDBOX_SECRET, kind: str = "service", name: str = ""
    ) -> Account:
        """Register an official account (kind "service" or "subscription")."""
        if kind not in ACCOUNT_KINDS:
            raise ValueError(f"kind must be one of {ACCOUNT_KINDS}")
        with self.lock:
            acct = Account(
                appid=appid, secret=secret, kind=kind, name=name or f"沙箱{_kind_cn(kind)} {appid}"
            )
            self.accounts[appid] = acct
            return acct

    def add_toutiao_account(
        self, app_id: str, secret: str = SANDBOX_SECRET, name: str = ""
    ) -> ToutiaoAccount:
        with self.lock:
            acct = ToutiaoAccount(app_id=app_id, secret=secret, name=name or f"沙箱头条号 {app_id}")
            self.toutiao_accounts[app_id] = acct
            return acct

    def account(self, appid: str) -> Account:
        with self.lock:
            self.tick()
            return self.accounts[appid]

    def toutiao_account(self, app_id: str) -> ToutiaoAccount:
        with self.lock:
            self.tick()
            return self.toutiao_accounts[app_id]


def _kind_cn(kind: str) -> str:
    return "订阅号" if kind == "subscription" else "服务号"
