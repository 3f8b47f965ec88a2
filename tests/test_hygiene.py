"""The suite's own rules about time (issue 14; README "Tests"): the `clock` fixture is the one way a
test sets or moves the time, `wait_until` the one way it waits for another thread or process, and no
test measures a duration (bench/ scripts print figures). A new test that sleeps, travels on its own
or times something fails here, naming the line and what to use instead."""
import re
from pathlib import Path

TESTS = Path(__file__).parent
HOME = TESTS / "conftest.py"  # where the clock and wait_until live

RULES = [
    (re.compile(r"\btime\.sleep\(|\bsleep\(\s*\d"), "sleeps: wait for the condition with tests.conftest.wait_until"),
    (re.compile(r"\bwait_for_timeout\("), "waits a fixed time in the browser: wait for what the page shows"),
    (re.compile(r"\btime_machine\b|\bfreezegun\b|\bfreeze_time\b"), "moves the time on its own: use the clock fixture"),
    (re.compile(r"\bperf_counter\(|\bmonotonic\(|\bprocess_time\("), "measures a duration: a bench/ script prints it"),
]


def _offences() -> list[str]:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path in (HOME, Path(__file__)):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for pattern, why in RULES:
                if pattern.search(code):
                    found.append(f"{path.relative_to(TESTS.parent)}:{n}: {why}: {line.strip()}")
    return found


def test_no_test_sleeps_moves_time_itself_or_times_anything():
    assert _offences() == []


def test_the_rules_catch_what_they_are_for(tmp_path, monkeypatch):
    planted = tmp_path / "tests"
    planted.mkdir()
    (planted / "test_planted.py").write_text(
        "import time\ntime.sleep(0.2)\nt0 = time.perf_counter()\ndef test_x(time_machine): pass\n"
        "page.wait_for_timeout(300)\nok = 1  # time.sleep(1) in a comment is fine\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.TESTS", planted)
    found = _offences()
    assert [line.split(":")[1] for line in found] == ["2", "3", "4", "5"]
    assert "wait_until" in found[0] and "bench/" in found[1] and "clock fixture" in found[2]
