"""A failed login takes as long for an unknown username as for a wrong password (issue 13 part 5):
both run the same queries and one password hash check (an unknown name against a dummy hash of the
same method and cost). Prints the median time of each through the real login view, alternating
the two so that load on the machine hits both alike, and what one hash check costs (the gap an
unknown name would show without the dummy).

    .venv/bin/python bench/login_timing.py [--rounds 60]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cms-bench-")
    os.environ.setdefault("CMS_HUEY_URL", f"sqlite:///{tmp}/huey.db")

    from flask_migrate import upgrade
    from werkzeug.security import check_password_hash

    from cms import create_app, demo
    from cms.auth.service import get_by_username

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                      "ENCRYPTION_KEYS": ["0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="],
                      "WTF_CSRF_ENABLED": False, "LOGIN_MAX_FAILURES": 10**6, "LOGIN_IP_MAX_FAILURES": 10**6})
    with app.app_context():
        upgrade()
        demo.load()
        users = [p[0] for p in demo.PEOPLE]
        pwhash = get_by_username("editor").password_hash
    client = app.test_client()

    def attempt(username: str) -> float:
        start = time.perf_counter()
        r = client.post("/login", data={"username": username, "password": "wrong-Password-1"})
        elapsed = time.perf_counter() - start
        assert r.status_code == 401, r.status_code
        return elapsed

    attempt("editor")
    attempt("warm-up-nobody")  # the dummy hash is made once per process
    wrong, unknown = [], []
    for i in range(args.rounds):
        wrong.append(attempt(users[i % len(users)]))
        unknown.append(attempt(f"nobody-{i}"))
    hash_check = []
    for _ in range(20):
        start = time.perf_counter()
        check_password_hash(pwhash, "wrong-Password-1")
        hash_check.append(time.perf_counter() - start)

    def ms(xs):
        return statistics.median(xs) * 1000

    print(f"{args.rounds} rounds, method {pwhash.split('$')[0]}")
    print(f"wrong password   median {ms(wrong):7.1f} ms")
    print(f"unknown username median {ms(unknown):7.1f} ms")
    print(f"difference              {ms(unknown) - ms(wrong):+7.1f} ms")
    print(f"one hash check   median {ms(hash_check):7.1f} ms  (the gap without the dummy hash)")


if __name__ == "__main__":
    main()
