"""The collector's passes wait for the learner's pauses (tutor.collector), with a fake
collector and clock: no real garbage collection is timed here."""

from tutor.collector import (
    BACKSTOP,
    DUE_AFTER,
    PAUSE_SECONDS,
    YOUNG_DUE,
    YOUNG_PAUSE,
    IdleCollector,
)


class FakeGC:
    def __init__(self) -> None:
        self.counts, self.threshold, self.frozen, self.collected = [0, 0, 0], (700, 10, 10), False, []

    def freeze(self) -> None:
        self.frozen = True

    def get_threshold(self):
        return self.threshold

    def set_threshold(self, *threshold) -> None:
        self.threshold = threshold

    def get_count(self):
        return tuple(self.counts)

    def collect(self, generation: int = 2) -> int:
        self.collected.append(generation)
        self.counts[: generation + 1] = [0] * (generation + 1)
        if generation < 2:
            self.counts[generation + 1] += 1
        return 0


def test_start_freezes_what_exists_and_leaves_the_passes_to_the_pauses():
    collector = IdleCollector(FakeGC(), clock=lambda: 0.0)
    collector.start()
    assert collector.collector.frozen and collector.collector.threshold == (700, 10, BACKSTOP)


def test_a_young_pass_runs_in_the_gap_after_a_key_once_enough_is_new():
    now = [0.0]
    fake = FakeGC()
    collector = IdleCollector(fake, clock=lambda: now[0])
    fake.counts[0] = YOUNG_DUE - 1
    now[0] = 1.0
    assert collector.tick() is None and fake.collected == []  # paused, but too little is new
    fake.counts[0] = YOUNG_DUE
    collector.input()
    assert collector.tick() is None and fake.collected == []  # a key: its frame is being drawn
    now[0] += YOUNG_PAUSE
    assert collector.tick() == 1 and fake.collected == [1]  # the young and middle generations
    assert fake.counts == [0, 0, 1]
    assert collector.tick() is None  # nothing new since


def test_the_full_pass_runs_only_when_due_and_the_learner_has_paused():
    now = [0.0]
    fake = FakeGC()
    collector = IdleCollector(fake, clock=lambda: now[0])
    now[0] = PAUSE_SECONDS + 1
    assert collector.tick() is None and fake.collected == []  # a pause, but nothing due
    fake.counts[2] = DUE_AFTER
    collector.input()
    now[0] += PAUSE_SECONDS / 2
    assert collector.tick() is None and fake.collected == []  # due, but the learner is typing
    now[0] += PAUSE_SECONDS / 2
    assert collector.tick() == 2 and fake.collected == [2]  # due and paused
    assert collector.tick() is None  # done: not due again until the young passes add up


async def test_a_key_counts_as_input(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        before = app.collector.last_input
        await pilot.press("down")
        assert app.collector.last_input > before
