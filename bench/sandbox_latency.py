"""The sandbox's latency switch (latency_ms, per account): how long a call of a slowed account takes
against one of an account without latency, through wechatpy over loopback HTTP, and that calls of
the slowed account overlap (latency is waited outside the sandbox's lock). The figures the test
suite used to assert (tests/sandbox/test_faults.py now holds a call in flight instead).

    .venv/bin/python bench/sandbox_latency.py [--latency-ms 150] [--rounds 20]
"""
from __future__ import annotations

import argparse
import logging
import statistics
import threading
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from flask import Flask
    from werkzeug.serving import make_server

    from cms.platforms import MemoryStorage, make_mp_client
    from cms.sandbox import SANDBOX_SECRET, SandboxState, create_sandbox_blueprint

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    state = SandboxState()
    app = Flask(__name__)
    app.register_blueprint(create_sandbox_blueprint(state))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/mp/cgi-bin/"

    def client(appid):
        c = make_mp_client(appid, SANDBOX_SECRET, base_url=base, session=MemoryStorage(), timeout=30)
        c.draft.count()  # the token, before timing
        return c

    slow, fast = client("wxsandbox00000001"), client("wxsandbox00000003")
    state.set_latency(args.latency_ms, appid=slow.appid)

    def timed(c) -> float:
        start = time.perf_counter()
        c.draft.count()
        return (time.perf_counter() - start) * 1000

    slowed = [timed(slow) for _ in range(args.rounds)]
    plain = [timed(fast) for _ in range(args.rounds)]
    together = 8
    start = time.perf_counter()
    threads = [threading.Thread(target=slow.draft.count) for _ in range(together)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    overlapped = (time.perf_counter() - start) * 1000
    server.shutdown()
    print(f"latency_ms {args.latency_ms:.0f}: a call of the slowed account, median "
          f"{statistics.median(slowed):.1f} ms (min {min(slowed):.1f}); of another account, median "
          f"{statistics.median(plain):.1f} ms")
    print(f"{together} calls of the slowed account at once: {overlapped:.1f} ms in all "
          f"({together} x {args.latency_ms:.0f} ms if they queued)")


if __name__ == "__main__":
    main()
