"""First calls first (cms/publishing/starts.py): the order of the work of one worker's publishing
threads, without a database. The orders are checked through events, never through timings."""
from __future__ import annotations

import threading

from cms.publishing.starts import Starts


def _thread(fn) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def test_a_started_publication_waits_before_its_next_call_until_every_claimed_one_started():
    starts, log = Starts(at_once=2), []
    starts.add([1, 2, 3])

    def first():
        with starts.turn(1):
            starts.first_call(1)
            log.append("1: first call")
            starts.hold()
            log.append("1: second call")

    t = _thread(first)
    with starts.turn(2):
        starts.first_call(2)
        log.append("2: first call")
    with starts.turn(3):  # ends without a call (cancelled at the C4 check): counts as started
        log.append("3: no call")
    t.join(10)
    assert log.index("1: second call") > max(log.index("2: first call"), log.index("3: no call"))


def test_starts_take_turns():
    starts, log = Starts(at_once=1), []
    starts.add([1, 2])
    first_has_turn, second_waiting = threading.Event(), threading.Event()

    def first():
        with starts.turn(1):
            first_has_turn.set()
            second_waiting.wait(10)
            log.append("1 starts")
            starts.first_call(1)

    def second():
        first_has_turn.wait(10)
        second_waiting.set()
        with starts.turn(2):
            log.append("2 starts")
            starts.first_call(2)

    threads = [_thread(first), _thread(second)]
    for t in threads:
        t.join(10)
    assert log == ["1 starts", "2 starts"]


def test_nothing_waits_once_all_have_started():
    starts = Starts(wait=3600)
    starts.add([1])
    with starts.turn(1):
        starts.first_call(1)
    assert starts.hold() is True  # nothing pending: goes on at once (an hour's bound is never reached)


def test_a_started_publication_goes_on_as_soon_as_the_last_one_starts():
    starts, log = Starts(wait=3600), []
    starts.add([1, 2])
    with starts.turn(1):
        starts.first_call(1)

    def second():
        with starts.turn(2):
            log.append("2 starts")
            starts.first_call(2)

    t = _thread(second)
    assert starts.hold() is True  # woken by 2's first call, long before the hour's bound
    log.append("1 goes on")
    t.join(10)
    assert log == ["2 starts", "1 goes on"]


def test_a_start_that_never_comes_holds_the_others_only_for_the_bound():
    starts = Starts(wait=0.05)
    starts.add([1, 2])  # 2 is claimed, and its thread never gets going
    with starts.turn(1):
        starts.first_call(1)
    went_on = []
    t = _thread(lambda: went_on.append(starts.hold()))
    t.join(10)
    assert not t.is_alive(), "publication 1 waited past the bound for one that never started"
    assert went_on == [False]  # it gave up waiting, and went on
    assert starts.hold() is False  # and so does the next call: 2 is still not started
