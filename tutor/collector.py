"""When Python's cyclic garbage collector makes its full pass: while the learner pauses.

Textual keeps tens of thousands of small objects alive (each line on screen caches its crops
and styles), and CPython's full pass walks every one of them: 60-90 ms on a 2-core machine, a
key held up or a frame skipped whenever it lands in the middle of one (it did, about once a
second, while the first CNN trained). The young generations are still collected as usual;
only the full pass waits for a pause, with a backstop for a learner who never pauses."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

PAUSE_SECONDS = 2.0  # no key or mouse input for this long: a full pass goes unnoticed
DUE_AFTER = 10  # young passes since the last full one (CPython's own threshold for a full pass)
BACKSTOP = 100  # young passes after which CPython makes a full pass anyway (its default: 10)


class IdleCollector:
    """Defers the collector's full pass to the learner's pauses. ``input()`` on every key or
    mouse event; ``tick()`` every half second or so; ``start()`` once the long-lived objects
    (torch, the app) exist."""

    def __init__(self, collector=gc, clock: Callable[[], float] = time.monotonic) -> None:
        self.collector, self.clock = collector, clock
        self.last_input = clock()

    def start(self) -> None:
        """Move what exists now (torch's ~10^6 objects, the app) out of the collector's sight,
        and leave the full pass to ``tick`` (or, after BACKSTOP young passes, to CPython)."""
        self.collector.freeze()
        young, middle, _ = self.collector.get_threshold()
        self.collector.set_threshold(young, middle, BACKSTOP)

    def input(self) -> None:
        self.last_input = self.clock()

    def tick(self) -> bool:
        """Make the full pass if it is due and the learner has paused; whether it did."""
        due = self.collector.get_count()[2] >= DUE_AFTER
        if due and self.clock() - self.last_input >= PAUSE_SECONDS:
            self.collector.collect()
            return True
        return False
