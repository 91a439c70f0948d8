"""When Python's cyclic garbage collector makes its larger passes: while the learner pauses.

Textual keeps tens of thousands of small objects alive (each line on screen caches its crops
and styles), and a step of a lab leaves about a thousand new ones. CPython collects its young
generation every 700 new objects and its middle one every tenth time: a third of a millisecond
in most key presses, and 4-8 ms in one key of seven (measured on a 28x28 lab, 2 cores). Its
full pass walks every object: 60-90 ms, a key held up or a frame skipped whenever it lands in
the middle of one (it did, about once a second, while the first CNN trained).

So the young and middle generations are also collected in the gap after a key's frame (a
learner types a key every tenth of a second at most): the middle one never grows large. CPython's
own young passes still run inside keys, a third of a millisecond each. The full pass waits for a
longer pause, with a backstop for a learner who never pauses. CPython keeps its own young
threshold: with a higher one (5,000 was tried) each of its passes in keys pressed back to back,
with no gap to collect in, is larger, and no gain beyond the noise was measured."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

TICK_SECONDS = 0.1  # how often the app asks; the gap between two keys is longer
YOUNG_PAUSE = 0.03  # no input for this long: the key's frame is drawn, a young pass goes unnoticed
PAUSE_SECONDS = 2.0  # no input for this long: a full pass goes unnoticed
YOUNG_DUE = 200  # new objects since the last pass that make a young pass worth its tenth of a millisecond
DUE_AFTER = 50  # young passes since the last full one that make a full pass due
BACKSTOP = 100  # middle passes after which CPython makes a full pass anyway (its default: 10)


class IdleCollector:
    """Runs the collector's passes in the learner's pauses. ``input()`` on every key or mouse
    event; ``tick()`` every TICK_SECONDS; ``start()`` once the long-lived objects (torch, the
    app) exist."""

    def __init__(self, collector=gc, clock: Callable[[], float] = time.monotonic) -> None:
        self.collector, self.clock = collector, clock
        self.last_input = clock()

    def start(self) -> None:
        """Move what exists now (torch's ~10^6 objects, the app) out of the collector's sight,
        and leave the passes to ``tick`` (or, past the backstops, to CPython)."""
        self.collector.freeze()
        young, middle, _ = self.collector.get_threshold()
        self.collector.set_threshold(young, middle, BACKSTOP)

    def input(self) -> None:
        self.last_input = self.clock()

    def tick(self) -> int | None:
        """Make the pass that is due, if the learner has paused for it: the generation it
        collected (2 for the full pass, 1 for the young and middle ones), or None."""
        paused, (young, _, middle_passes) = self.clock() - self.last_input, self.collector.get_count()
        if middle_passes >= DUE_AFTER and paused >= PAUSE_SECONDS:
            self.collector.collect()
            return 2
        if young >= YOUNG_DUE and paused >= YOUNG_PAUSE:
            self.collector.collect(1)
            return 1
        return None
