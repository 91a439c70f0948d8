"""The network lab's view (a ``NetworkSession``): a small CNN on handwritten digits. A page shows
some of its parts: the ledger of shapes and parameters, the parameters beside a fully connected
net's, the receptive field of a cell, live training, and a digit the learner draws."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tutor.labs.session import Address
from tutor.numbers import format_number
from tutor.widgets.flow import Flow
from tutor.widgets.heat_maps import HeatMaps
from tutor.widgets.lab import set_text
from tutor.widgets.live_training import LiveTrainingView
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain, plain

BATCHES_PER_FRAME = 16
FULL_FRAME_SECONDS = 0.5  # while training, the maps and the matrix are redrawn this often at most
VECTOR_ROW = 16  # a flattened vector is shown 16 numbers a row


class Canvas(TensorGrid):
    """An 8x8 digit drawn from the keyboard: Space inks a pixel or clears it, 1-4 set a level of
    ink (a quarter to full), 0 or x clear it, Enter types an exact value. A click inks too."""

    HELP = """
### Your digit
**Arrows** move. **Space** inks the pixel or clears it, **1**-**4** ink it a quarter to full,
**0** or **x** clear it, **Enter** types an exact value (0 to the data's peak). **d** puts the next
test digit on the canvas, **Delete** clears it all. A mouse click inks the pixel under it.
"""

    BINDINGS = [
        Binding("space", "ink", "Ink / clear", tooltip="Ink the pixel, or clear it if inked"),
        Binding("x", "clear_pixel", "Clear pixel", tooltip="Clear the pixel"),
        Binding("d", "next_digit", "Next digit", tooltip="Put the next test digit on the canvas"),
        Binding("delete", "clear_all", "Clear all", tooltip="Clear the canvas"),
        *(Binding(str(q), f"level({q})", f"Ink {q}/4", show=False) for q in range(5)),
    ]

    @dataclass
    class Drawn(Message):
        """The learner changed the canvas: pixel (row, col) to ``level`` (or all, for ``None``)."""

        canvas: Canvas
        row: int | None
        col: int | None
        level: int | None

    def __init__(self, values, *, peak: int, **kwargs) -> None:
        super().__init__(values, editable=True, **kwargs)
        self.peak = peak

    def _set(self, level: int) -> None:
        row, col = self.cursor
        self.post_message(self.Drawn(self, row, col, min(max(level, 0), self.peak)))

    def action_ink(self) -> None:
        self._set(0 if self.values[self.cursor[0]][self.cursor[1]] else self.peak)

    async def on_key(self, event) -> None:
        """0-4 ink the pixel (their bindings), rather than start typing a value as on a grid;
        other digits still type one. Bindings, not handled here: the arrows are bindings too,
        and keys that come together (→ then 0) must act in the order they came."""
        if self.editing is None and event.character in ("0", "1", "2", "3", "4"):
            event.prevent_default()

    def action_level(self, quarters: int) -> None:
        self._set(quarters * self.peak // 4)

    def action_clear_pixel(self) -> None:
        self._set(0)

    def action_next_digit(self) -> None:
        self.post_message(self.Drawn(self, None, None, None))

    def action_clear_all(self) -> None:
        self.post_message(self.Drawn(self, None, None, 0))

    def on_click(self, event) -> None:
        self.call_after_refresh(self.action_ink)  # after the click has moved the cursor


class LossChart(Widget):
    """The loss of every batch so far, as a bar chart with its scale (``loss_chart``), drawn
    for the width it has: a resize draws it again."""

    DEFAULT_CSS = "LossChart { height: 3; color: $accent; }"

    losses: reactive[tuple[float, ...]] = reactive(())

    def render(self):
        from tutor.labs.network_text import loss_chart

        return plain(loss_chart(self.losses, self.size.width))


class NetworkLabView(LiveTrainingView):
    """A small CNN on a data set of digits, as a page shows it."""

    HELP = """
### Network lab
**Space** trains or pauses, **s** trains one batch, **r** starts training again from the seed,
**c** shows the PyTorch code. On the receptive-field part, **n** / **p** choose the layer and the
arrows on its map choose the cell. On the canvas, see *Your digit*.
"""

    KEY_HELP = {"play": "Train or pause", "reset": "Start training again from the seed",
                "train_step": "Train one batch", "step": "Choose the next / previous layer"}

    DEFAULT_CSS = """
    NetworkLabView #ledger, NetworkLabView #sharing { margin-top: 1; }
    NetworkLabView #train-status { margin-top: 1; text-style: bold; }
    NetworkLabView #field-text { margin-top: 1; }
    NetworkLabView #prediction { width: auto; padding: 0 1; }
    NetworkLabView .activation-heading { margin-top: 1; color: $text-muted; }
    NetworkLabView .legend { color: $text-muted; }
    NetworkLabView .lab-row { grid-gutter: 0 1; }
    """

    hidden: reactive[frozenset] = reactive(frozenset(), init=False)  # (quantity, net_index) still asked
    field_layer: reactive[int] = reactive(0, init=False)
    digit: reactive[int] = reactive(0, init=False)  # the test image the training part shows

    def __init__(self, spec, show, *, sessions: dict | None = None, **kwargs) -> None:
        super().__init__(spec, show, **kwargs)
        self.sessions = {} if sessions is None else sessions  # the lesson's: training outlives a page
        self._shown_at = 0.0  # when training last put a whole state on screen
        self._unpainted: list = []  # parts of a training state still to be painted, one a frame

    def make_session(self):
        from tutor.labs.network import NetworkSession

        if self.spec.id not in self.sessions:
            self.sessions[self.spec.id] = NetworkSession(self.spec)
        session = self.sessions[self.spec.id]
        if {"training", "canvas"} & set(self.show):
            session.trainer()  # torch.optim's import (a second) happens here, off the UI thread
        return session

    @property
    def stepping(self) -> bool:
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        wanted = {"play": "training", "train_step": "training", "reset": "training", "step": "field",
                  "show_code": "training"}
        if action in wanted:
            return (True if self.ready else None) if wanted[action] in self.show else False
        return super().check_action(action, parameters)

    # --- parts ---------------------------------------------------------------------------------
    def parts(self):
        for part in ("ledger", "sharing", "field", "training", "canvas"):
            if part in self.show:
                yield from getattr(self, f"_{part}_parts")()

    def _ledger_parts(self):
        yield Plain(id="ledger")

    def _sharing_parts(self):
        yield Plain(id="sharing")

    def _field_parts(self):
        s = self.session
        self.set_reactive(NetworkLabView.field_layer, s.field_layers()[0])
        yield Stepper("layer", s.field_layers(), self.field_layer, names=[f"net[{i}]" for i in s.field_layers()],
                      id="set-layer")
        channel, values = s.field_map(self.field_layer)
        yield Flow(TensorGrid(s.sample, label="input pixels", address=Address("x"), id="field-input"),
                   TensorGrid(values, compact=True, label=f"channel {channel}",
                              address=Address("y", (channel,)), id="field-map"), classes="lab-row")
        yield Plain("(a heat map: darker is larger, - marks a negative; the arrows pick a cell)", classes="legend")
        yield Plain(id="field-text")

    def _training_parts(self):
        s = self.session
        labels = s.data.labels[s.data.test].tolist()
        self.set_reactive(NetworkLabView.digit, s.watched)  # as the learner left it, on another page
        yield Stepper("test image", list(range(len(labels))), self.digit,
                      names=[f"{i}: a {d}" for i, d in enumerate(labels)], id="set-digit")
        yield Plain(id="train-status")
        yield LossChart(id="loss")
        yield Plain(id="accuracy")
        yield Plain("The first layer's kernels, net[0].weight[:, 0], on one scale, and their maps of the "
                    "digit, each on its own (darker: larger in size; - marks a negative)", classes="lab-heading")
        channels = range(s.rows[0].output_shape[1])
        yield HeatMaps([f"k{o}" for o in channels], names=[f"net[0].weight[{o}, 0]" for o in channels],
                       one_scale=True, id="kernels")
        yield HeatMaps(["digit", *(f"map {o}" for o in channels)],
                       names=["digit", *(f"net[0](digit)[0, {o}]" for o in channels)], id="maps")
        yield Plain("Confusion on the test digits: how often each digit (a row) got each answer (a column)",
                    classes="lab-heading")
        yield Plain(id="confusion")

    def _canvas_parts(self):
        from tutor.labs.network_text import activation_heading

        s = self.session
        yield Flow(Canvas(s.canvas, peak=s.data.peak, label="your digit", address=Address("canvas"), id="canvas"),
                   Plain(id="prediction"), classes="lab-row")
        yield Plain("What every layer makes of it (a layer's maps on one scale: darker is larger in size, "
                    "- marks a negative)", classes="lab-heading")
        for index in s.activation_layers():
            shape = s.rows[index].output_shape[1:]
            yield Plain(activation_heading(s, index, VECTOR_ROW), classes="activation-heading")
            output = f"net[:{index + 1}](digit)[0"  # the output of the layers up to this one
            if len(shape) == 3:
                yield HeatMaps([f"{c}" for c in range(shape[0])], names=[f"{output}, {c}]" for c in range(shape[0])],
                               one_scale=True, id=f"act-{index}")
            else:
                yield HeatMaps([""], names=[f"{output}]"], flat=True, id=f"act-{index}")

    def intro(self) -> str:
        s = self.session
        return (f"{s.data.name}: {len(s.data.images)} images of {s.data.side[0]}×{s.data.side[1]} pixels, "
                f"{len(s.data.train)} to train on and {len(s.data.test)} to test with.")

    def refresh_views(self) -> None:
        for part in ("ledger", "sharing", "field", "training", "canvas"):
            if part in self.show:
                getattr(self, f"_show_{part}")()

    # --- ledger and sharing --------------------------------------------------------------------
    def watch_hidden(self) -> None:
        if self.ready and "ledger" in self.show:
            self._show_ledger()
        if self.ready and "field" in self.show:
            self._show_field()

    def _show_ledger(self) -> None:
        from tutor.labs.network_text import ledger_text

        self.query_one("#ledger", Plain).update(ledger_text(self.session, self.hidden))

    def _show_sharing(self) -> None:
        from tutor.labs.network_text import sharing_text

        self.query_one("#sharing", Plain).update(sharing_text(self.session))

    # --- receptive field ------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        layers = self.session.field_layers()
        index = layers.index(self.field_layer) + delta
        if 0 <= index < len(layers):
            self.query_one("#set-layer", Stepper).value = layers[index]
            self.field_layer = layers[index]

    @on(Stepper.Changed)
    def _setting_chosen(self, event: Stepper.Changed) -> None:
        """The receptive field's layer, or the digit the training part shows."""
        event.stop()
        if self.asked(event) is None:
            return
        setattr(self, {"set-layer": "field_layer", "set-digit": "digit"}[event.stepper.id], event.value)

    def watch_field_layer(self) -> None:
        if self.ready:
            grid = self.query_one("#field-map", TensorGrid)
            channel, grid.values = self.session.field_map(self.field_layer)
            grid.address, grid.border_title = Address("y", (channel,)), plain(f"channel {channel}")
            grid.refresh(layout=True)  # the title may be wider
            grid.cursor = (min(grid.cursor[0], grid.rows - 1), min(grid.cursor[1], grid.cols - 1))
            self._show_field()

    @on(TensorGrid.CursorMoved, "#field-map")
    def _cell_chosen(self, event: TensorGrid.CursorMoved) -> None:
        event.stop()
        self._show_field()

    def _show_field(self) -> None:
        from tutor.labs.network_text import field_text

        if "field" not in self.show:
            return
        grid = self.query_one("#field-map", TensorGrid)
        cell = (grid.address.index[0], *grid.cursor)
        mask, field = self.session.field(self.field_layer, cell)
        self.query_one("#field-input", TensorGrid).window = frozenset(zip(*(axis.tolist() for axis in mask.nonzero())))
        grid.window = frozenset({grid.cursor})
        secret = any(("receptive_field", i) in self.hidden for i in self.session.same_field(self.field_layer))
        self.query_one("#field-text", Plain).update(field_text(self.session, self.field_layer, cell, mask, field, secret))

    # --- training -------------------------------------------------------------------------------
    def action_train_step(self) -> None:
        if self.ready and self.session.batches_left():
            self.playing = False
            self._show_state(self.session.train(1))

    def watch_playing(self, playing: bool) -> None:
        if playing and self.ready and "training" in self.show:
            if not self.session.batches_left():
                self.playing = False
                self.say(self.finished_text())
                return
            self.start_training()
        elif self.ready and "training" in self.show:
            self._show_training()

    def train_chunk(self):
        """A few batches, never past the lesson's last epoch (the numbers end where the script's
        do), and what the screen shows after them, worked out here in the worker."""
        state = self.session.train(BATCHES_PER_FRAME)
        return state, not self.session.batches_left()

    def show_trained(self, state) -> None:
        """While it trains: the status line and the chart every chunk; the rest (17 maps, the
        matrix) twice a second at most, and then a part a frame, so that a key never waits
        behind a frame that redraws them all."""
        now = time.monotonic()
        if now - self._shown_at >= FULL_FRAME_SECONDS or not self.session.batches_left():
            self._shown_at = now
            self._show_state(state, spread=self.playing and bool(self.session.batches_left()))
        else:
            self._show_status(state.progress)
            self._show_chart(state)

    def show_current(self) -> None:
        self._show_training()

    def finished_text(self) -> str:
        return f"{self.session.spec.epochs} epochs, as the script (c) runs them: r starts again."

    def reset(self) -> None:
        self.playing = False
        self.session.restart()
        self._show_training()
        self.say(f"Started again from seed {self.session.spec.seed}: the same numbers as before.")

    def action_show_code(self) -> None:
        self.post_message(self.CodeRequested(self.session.code(), "first_cnn"))

    def watch_digit(self) -> None:
        if self.ready:
            self.session.watched = self.digit
            if not self.playing:  # else the next whole state shown brings it
                self._show_maps(self.session.training_state())  # the rest is as it was

    def _show_training(self) -> None:
        self._show_state(self.session.training_state())

    def _show_status(self, progress) -> None:
        from tutor.labs.network_text import status_text

        # set_text: a layout of the page only when a text's footprint changes, not on every frame
        set_text(self.query_one("#train-status", Plain),
                 status_text(progress, self.session.trainer().batches_per_epoch, self.playing))
        history = " ".join(f"{a:.0%}" for a in progress.accuracies[-12:])
        set_text(self.query_one("#accuracy", Plain), f"test accuracy after each epoch: {history or '–'}")

    def _show_state(self, state, spread: bool = False) -> None:
        """Put a training state on screen (values only, nothing computed here): at once, or a
        part a frame when ``spread`` (a frame of a few heat maps keeps a key's wait short). A
        newer state replaces the parts not yet shown."""
        self._show_status(state.progress)
        painting = bool(self._unpainted)
        self._unpainted = [partial(self._show_chart, state), partial(self._show_confusion, state)]
        self._unpainted += [partial(self._show_kernels, state), partial(self._show_maps, state)]
        if not spread:
            parts, self._unpainted = self._unpainted, []
            for part in parts:
                part()
        elif not painting:
            self._paint_next_part()

    def _paint_next_part(self) -> None:
        if self._unpainted and self.is_attached:
            self._unpainted.pop(0)()
            if self._unpainted:
                self.call_after_refresh(self._paint_next_part)

    def _show_chart(self, state) -> None:
        self.query_one("#loss", LossChart).losses = state.progress.losses

    def _show_confusion(self, state) -> None:
        from tutor.labs.network_text import confusion_text

        set_text(self.query_one("#confusion", Plain), confusion_text(state.progress.confusion))

    def _show_kernels(self, state) -> None:
        self.query_one("#kernels", HeatMaps).show([kernel[0] for kernel in state.kernels])

    def _show_maps(self, state) -> None:
        self.query_one("#maps", HeatMaps).show([state.image, *state.maps])

    # --- the learner's digit --------------------------------------------------------------------
    @on(Canvas.Drawn)
    def _drawn(self, event: Canvas.Drawn) -> None:
        event.stop()
        s = self.session
        if event.row is not None:
            self._draw(event.row, event.col, event.level)
            return
        if event.level == 0:
            s.canvas[:] = 0
            self.say("Cleared.")
        else:
            number, label = s.next_digit()
            self.say(f"Test image {number}: a {label}.")
        self._show_canvas()

    @on(TensorGrid.EditRejected, "#canvas")
    def _not_a_pixel(self, event: TensorGrid.EditRejected) -> None:
        """Letters, nothing, nan... typed into a pixel: the rule for a pixel, not for any number."""
        event.stop()
        event.prevent_default()  # not LabView's message for any cell
        self.say(f"{self.session.pixel_rule()} The pixel keeps its value.", error=True)

    @on(TensorGrid.CellEdited, "#canvas")
    def _typed(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        self._draw(event.row, event.col, event.value)

    def _draw(self, row: int, col: int, level: float) -> None:
        try:
            self.session.draw(row, col, level)
        except ValueError as error:
            self.say(f"{error} The pixel keeps its value.", error=True)
            self.query_one("#canvas", Canvas).refresh()  # the same values: the cell's edit must be repainted
        else:
            self.say(f"pixel ({row}, {col}) = {format_number(level)} of {self.session.data.peak}")
        self._show_canvas()  # also ends the cell's edit, refused or not

    def _show_canvas(self) -> None:
        from tutor.labs.network_text import prediction_text

        s = self.session
        self.query_one("#canvas", Canvas).values = s.canvas
        probabilities, outputs = s.look()
        self.query_one("#prediction", Plain).update(prediction_text(probabilities, s.trainer().progress()))
        for index in self.session.activation_layers():
            out = outputs[index]
            maps = out if out.ndim == 3 else [out.reshape(-1, min(VECTOR_ROW, out.size))]
            self.query_one(f"#act-{index}", HeatMaps).show(maps)
