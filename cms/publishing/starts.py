"""First calls first: when many publications fall due together, every one of them makes its first
platform call early, instead of queueing behind the whole runs of those claimed before it.

The outbox's runs (runner.run_due: the Huey tasks that fire together, each with its pool) hand each
claimed publication to a thread, and one `Starts` per worker process orders the work of those
threads, which share one interpreter (the GIL) and, on SQLite, one write lock:

- starting a publication (loading it, up to its first call) goes AT_ONCE at a time, in the order
  the pools take them. Those that fell due together have been checked (C4 C5), moved to `sending`
  and audited already, all in one transaction (begin.py); the rest (a bundle, a retry) do that in
  their start too. Two: while one start waits on the database, the other runs; more only get in
  each other's way, as the interpreter runs one thread at a time (bench/schedule_lateness.py p99
  with begin.py: 1.0-1.06 s with 2, 1.06-1.09 s with 4, 1.02-1.17 s with 8; before it, when each
  start committed its own transaction: 1.8 s with 2, 2.1 s one at a time, 1.8-2.3 s three or four
  or all at once, 2.4 s all at once with a connection pool of 50);
- a publication that has made its first call lets the others start before it goes on: after
  each commit and before each call it waits while any claimed publication of the process has not
  started yet, at most WAIT seconds each time (a start that hangs holds nobody up for long). It
  waits after committing, holding no connection and no lock, so nothing it learned is held back:
  every remote id is committed the moment it is known, as before. (Waiting before calls only, it
  would still prepare its next step, the cover, in the others' time: p99 2.5 s against 2.0 s.)

    STARTS.add(ids)            claimed, about to be handed to a pool
    with STARTS.turn(id):      in the pool thread, around the publication's run: waits its turn to
                               start; leaving it (a run that ended before any call) counts as started
    bind(True) / in_run()      whether this thread runs a claimed publication (Job asks)
    STARTS.first_call(id)      the publication's first call goes out now: the next one may start
    STARTS.hold()              a started publication before going on: wait while some have not started

A Job outside a run (a preview, a test calling run_publication) waits for nothing.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator

AT_ONCE = 2  # publications of a worker process on their way to their first call at the same time
WAIT = 5.0  # seconds a started publication waits at most (per call) for the others to start

_local = threading.local()


class Starts:
    def __init__(self, at_once: int = AT_ONCE, wait: float = WAIT):
        self._turns = threading.Semaphore(max(1, at_once))
        self._changed = threading.Condition()
        self._pending: set[int] = set()  # claimed, no first call yet
        self._holding: set[int] = set()  # have their turn now
        self.wait = wait

    def add(self, ids: Iterable[int]) -> None:
        with self._changed:
            self._pending.update(ids)

    @contextlib.contextmanager
    def turn(self, pub_id: int) -> Iterator[None]:
        self._turns.acquire()
        with self._changed:
            self._holding.add(pub_id)
        try:
            yield
        finally:
            self.first_call(pub_id)

    def first_call(self, pub_id: int) -> None:
        with self._changed:
            self._pending.discard(pub_id)
            if pub_id in self._holding:
                self._holding.discard(pub_id)
                self._turns.release()
            if not self._pending:
                self._changed.notify_all()

    def hold(self) -> bool:
        """Wait while some claimed publication has not started, `wait` seconds at most. True: all
        have started; False: gave up waiting (the callers go on either way)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending, self.wait)


STARTS = Starts()


def bind(running: bool) -> None:
    _local.running = running


def in_run() -> bool:
    return getattr(_local, "running", False)
