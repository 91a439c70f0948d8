"""A lab that trains while the learner watches: Space runs the training in a worker thread, a
chunk at a time, and each chunk's state comes back to the screen as a message; keys keep working."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual import on, work
from textual.message import Message
from textual.worker import get_current_worker

from tutor.widgets.lab import LabView


class LiveTrainingView(LabView):
    """Base of the labs that train. A subclass trains one chunk in ``train_chunk`` (worker
    thread: it returns the state after it and whether training is over), shows a state in
    ``show_trained`` and the session's state as it is now in ``show_current``."""

    FRAME_SECONDS = 1 / 20  # the worker rests between chunks: the screen and the keys get the GIL

    @dataclass
    class Trained(Message):
        """A worker trained a chunk: here is the state after it."""

        state: object
        finished: bool

    def train_chunk(self) -> tuple[object, bool]:
        raise NotImplementedError

    def show_trained(self, state: object) -> None:
        raise NotImplementedError

    def show_current(self) -> None:
        """Show the trained state as it is now, read from the session."""
        raise NotImplementedError

    def finished_text(self) -> str:
        return "Training stopped: r starts again."

    def start_training(self) -> None:
        self._run()

    @work(thread=True, exclusive=True, group="train")
    def _run(self) -> None:
        worker = get_current_worker()
        while self.playing and not worker.is_cancelled:
            state, finished = self.train_chunk()
            self.post_message(self.Trained(state, finished))
            if finished:
                return
            time.sleep(self.FRAME_SECONDS)

    @on(Trained)
    def _trained(self, event: Trained) -> None:
        if self.playing or event.finished:
            self.show_trained(event.state)
        else:  # a chunk the worker was in when the learner paused (or reset): the net moved on since
            self.show_current()
        if event.finished:
            self.playing = False
            self.say(self.finished_text())
