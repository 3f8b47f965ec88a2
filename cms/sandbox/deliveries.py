"""The platform's side of its callbacks (WECHAT_API.md 2): each account's server configuration, as
saved in the MP console, and the pushes to it. A finished freepublish job or mass send hands its
event XML to `push`; callbacks.py writes the envelope and POSTs it in a background thread with
WeChat's retries, reporting each try back here (`note_attempt`, `finish_delivery`). `state.deliveries`
keeps the latest 500, for the page and for tests (`wait_deliveries`)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

from cms.sandbox import callbacks
from cms.sandbox.core import Core
from cms.sandbox.models import Account


class Deliveries:
    """`state.delivery`. `start(delivery)` sends one in the background (the SandboxState passes
    callbacks.start with itself, the object callbacks.run talks to)."""

    def __init__(self, core: Core, start: Callable[[callbacks.Delivery], object]):
        self.core = core
        self.lock = core.lock
        self._start = start

    def reset(self) -> None:
        """Forget the deliveries; those under way are abandoned (the core's epoch moved on)."""
        with self.lock:
            self.deliveries: list[callbacks.Delivery] = []
            self.delivered = threading.Condition(self.lock)
            self._delivery_ids = itertools.count(1)

    def set_callback(self, appid: str, url: str, token: str, encoding_aes_key: str | None = None,
                     mode: str | None = None) -> callbacks.CallbackConfig:
        """The account's server configuration, as saved in the MP console: pushes go to `url`, signed
        with `token`, in `mode` (plaintext | compatible | safe; default safe with a key, else
        plaintext)."""
        mode = mode or ("safe" if encoding_aes_key else "plaintext")
        config = callbacks.CallbackConfig(url=url, token=token, encoding_aes_key=encoding_aes_key or None, mode=mode)
        with self.lock:
            if appid not in self.core.accounts:
                raise KeyError(f"no sandbox account {appid}")
            self.core.accounts[appid].callback = config
            return config

    def clear_callback(self, appid: str) -> None:
        with self.lock:
            if appid in self.core.accounts:
                self.core.accounts[appid].callback = None

    def push(self, acct: Account, event: str, ref, xml: str, openid: str | None = None) -> callbacks.Delivery | None:
        """Deliver `xml` to the account's server in the background (no server configured: nothing).
        `openid`: the follower the push is about (a follower's message; job events: mphelper's).
        Called under the lock."""
        if acct.callback is None:
            return None
        delivery = callbacks.Delivery(id=next(self._delivery_ids), appid=acct.appid, event=event, ref=str(ref),
                                      config=acct.callback, xml=xml, created_at=self.core.now(), openid=openid)
        self.deliveries.append(delivery)
        del self.deliveries[:-500]
        self._start(delivery)
        return delivery

    def note_attempt(self, delivery: callbacks.Delivery, attempt: dict) -> None:
        with self.lock:
            delivery.attempts.append(attempt)

    def finish_delivery(self, delivery: callbacks.Delivery, outcome: str) -> None:
        with self.lock:
            delivery.state = outcome
            self.delivered.notify_all()

    def wait_deliveries(self, timeout: float = 10.0, count: int | None = None) -> list[callbacks.Delivery]:
        """For tests: wait until every delivery (at least `count` of them) has ended; the deliveries."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                done = all(d.state != "pending" for d in self.deliveries)
                if done and (count is None or len(self.deliveries) >= count):
                    return list(self.deliveries)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"sandbox deliveries still pending: {[d.summary() for d in self.deliveries]}")
                self.delivered.wait(min(left, 0.5))
