"""The collector's full pass waits for the learner's pause (tutor.collector), with a fake
collector and clock: no real garbage collection is timed here."""

from tutor.collector import BACKSTOP, DUE_AFTER, PAUSE_SECONDS, IdleCollector


class FakeGC:
    def __init__(self) -> None:
        self.counts, self.threshold, self.frozen, self.collected = [0, 0, 0], (700, 10, 10), False, 0

    def freeze(self) -> None:
        self.frozen = True

    def get_threshold(self):
        return self.threshold

    def set_threshold(self, *threshold) -> None:
        self.threshold = threshold

    def get_count(self):
        return tuple(self.counts)

    def collect(self) -> int:
        self.collected += 1
        self.counts = [0, 0, 0]
        return 0


def test_start_freezes_what_exists_and_leaves_the_full_pass_to_the_pauses():
    collector = IdleCollector(FakeGC(), clock=lambda: 0.0)
    collector.start()
    assert collector.collector.frozen and collector.collector.threshold == (700, 10, BACKSTOP)


def test_the_full_pass_runs_only_when_due_and_the_learner_has_paused():
    now = [0.0]
    fake = FakeGC()
    collector = IdleCollector(fake, clock=lambda: now[0])
    now[0] = PAUSE_SECONDS + 1
    assert not collector.tick() and fake.collected == 0  # a pause, but nothing due
    fake.counts[2] = DUE_AFTER
    collector.input()
    now[0] += PAUSE_SECONDS / 2
    assert not collector.tick() and fake.collected == 0  # due, but the learner is typing
    now[0] += PAUSE_SECONDS / 2
    assert collector.tick() and fake.collected == 1  # due and paused
    assert not collector.tick()  # done: not due again until the young passes add up


async def test_a_key_counts_as_input(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        before = app.collector.last_input
        await pilot.press("down")
        assert app.collector.last_input > before
