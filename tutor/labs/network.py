"""A network lab's session: a small CNN on a data set of digits. Its shapes and parameters row by
row (the ledger), the same sizes fully connected, the receptive field of any cell, training, and
a digit the learner draws; every number from torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tutor.course.datasets import Dataset, load_dataset
from tutor.course.model import NetworkLabSpec
from tutor.engine import network
from tutor.engine.classifier import Progress
from tutor.engine.network import Field, LedgerRow
from tutor.engine.spec import LinearSpec, ReluSpec


@dataclass(frozen=True)
class TrainingState:
    progress: Progress
    image: np.ndarray  # [H, W], 0..1
    kernels: np.ndarray  # the first layer's weight [out, in, k, k]
    maps: np.ndarray  # the first layer's output for the image [out, H, W]


class NetworkSession:
    """The lab's data set, its net's ledger for a batch of ``batch_size``, a trainer (built on
    first use: ``torch.optim`` takes a second to import), and the learner's canvas."""

    def __init__(self, spec: NetworkLabSpec) -> None:
        self.spec = spec
        self.data: Dataset = load_dataset(spec.data)
        self.input_shape = (spec.batch_size, 1, *self.data.side)
        self.specs = network.resolved(spec.layers, self.input_shape)
        self.rows: list[LedgerRow] = network.ledger(spec.layers, self.input_shape)
        self.sample = self.data.images[self.data.test[0]]  # the digit the receptive field is shown on
        self.canvas = self.sample.copy()  # the learner's digit starts as a real one
        self.shown_digit = 0  # the test image last put on the canvas
        self.watched = 0  # the test image whose maps the training part shows
        self._net = network.build(spec.layers, self.input_shape, spec.seed)  # until training starts
        self._trainer = None

    # --- shapes and parameters ----------------------------------------------------------------
    def row(self, net_index: int) -> LedgerRow:
        if not 0 <= net_index < len(self.rows):
            raise IndexError(f"net[{net_index}]: the net has {len(self.rows)} layers, net[0] to net[{len(self.rows) - 1}]")
        return self.rows[net_index]

    def total_parameters(self) -> int:
        return sum(row.parameters for row in self.rows)

    def dense_parameters(self) -> list[int]:
        """Per layer, the parameters of a fully connected layer of the same sizes."""
        return [network.dense_parameters(row) for row in self.rows]

    def in_features(self) -> int:
        """What the first Linear takes: the length of the flattened vector."""
        return next(row.input_shape[-1] for row in self.rows if isinstance(row.spec, LinearSpec))

    # --- receptive field ----------------------------------------------------------------------
    def field_layers(self) -> list[int]:
        """The layers whose cells see a window of the input (up to the Flatten)."""
        indices = []
        for row in self.rows:
            if not network.has_windows(row.spec):
                break
            indices.append(row.index)
        return indices

    def field_map(self, net_index: int) -> tuple[int, np.ndarray]:
        """The map of layer ``net_index`` for the sample digit that shows the most: its channel
        with the largest activation (a ReLU can leave channel 0 all zeros), and the map."""
        out = self.outputs(self.sample)[net_index]
        lit = np.clip(out, 0, None).sum(axis=(1, 2))
        channel = int(lit.argmax() if lit.any() else np.abs(out).sum(axis=(1, 2)).argmax())
        return channel, out[channel]

    def same_field(self, net_index: int) -> list[int]:
        """The layers whose cells see as much of the input as a cell of ``net_index`` (a ReLU's
        field is the layer's before it): the formula of one tells the others'."""
        sizes = {i: network.field_formula(self.specs, i)[-1].size for i in self.field_layers()}
        return [i for i, size in sizes.items() if size == sizes[net_index]]

    def field(self, net_index: int, cell: tuple[int, int, int]) -> tuple[np.ndarray, Field]:
        """The input pixels ``cell`` of layer ``net_index`` depends on (autograd), and the formula."""
        mask = network.receptive_field(self.specs, self.input_shape, net_index, cell)
        return mask, network.field_formula(self.specs, net_index)[-1]

    # --- training -------------------------------------------------------------------------------
    def batches_left(self) -> int:
        """Batches until the lesson's epochs are done (what the script it shows runs)."""
        trainer = self.trainer()
        return max(self.spec.epochs * trainer.batches_per_epoch - len(trainer.losses), 0)

    def trainer(self):
        if self._trainer is None:
            from tutor.engine.classifier import Classifier

            d, s = self.data, self.spec
            self._trainer = Classifier(self.specs, d.images, d.labels, d.train, d.test, peak=d.peak, seed=s.seed,
                                       lr=s.lr, batch_size=s.batch_size, optimizer=s.optimizer)
        return self._trainer

    def train(self, batches: int) -> TrainingState:
        """Up to ``batches`` more (never past the lesson's epochs), and the state after them."""
        self.trainer().train(min(batches, self.batches_left()))
        return self.training_state()

    def training_state(self) -> TrainingState:
        """What the training part shows, worked out here (in the training worker while it runs):
        progress, the test image watched, the first layer's kernels and their maps of it."""
        trainer = self.trainer()
        image = trainer.image(int(self.data.test[self.watched]))
        _, outputs = trainer.look(image)
        return TrainingState(trainer.progress(), image, trainer.first_kernels(), outputs[0])

    def restart(self) -> None:
        """Training from the start again: the same seed, the same numbers."""
        self._trainer = None

    # --- the learner's digit --------------------------------------------------------------------
    def pixel_rule(self) -> str:
        return f"A pixel is a whole number from 0 (no ink) to {self.data.peak} (full ink)."

    def draw(self, row: int, col: int, level: float) -> None:
        """Ink one pixel: a whole number from 0 to the data's peak, else ``ValueError``."""
        if level != int(level) or not 0 <= level <= self.data.peak:
            raise ValueError(self.pixel_rule())
        self.canvas[row, col] = int(level)

    def next_digit(self) -> tuple[int, int]:
        """The next test image on the canvas: its number in the test split and its label."""
        self.shown_digit = (self.shown_digit + 1) % len(self.data.test)
        image = self.data.test[self.shown_digit]
        self.canvas[:] = self.data.images[image]
        return self.shown_digit, int(self.data.labels[image])

    def activation_layers(self) -> list[int]:
        """The layers whose output the canvas shows: all, but a conv's where a ReLU follows it
        (the ReLU's shows what goes on)."""
        rows = self.rows
        return [row.index for row in rows
                if not (row.index + 1 < len(rows) and isinstance(rows[row.index + 1].spec, ReluSpec))]

    def look(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The trained net's probabilities for the canvas, and every layer's output for it."""
        return self.trainer().look(self.canvas / self.data.peak)

    def outputs(self, image: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for ``image`` (whole numbers up to the peak), from the net as
        trained so far (as the seed made it, before training)."""
        if self._trainer is not None:
            return self._trainer.look(image / self.data.peak)[1]  # under its lock: it may be training
        return network.layer_outputs(self._net, image / self.data.peak)

    def code(self, epochs: int | None = None) -> str:
        from tutor.labs.code import classifier_code

        s = self.spec
        return classifier_code(self.specs, data_file=str(s.data), peak=self.data.peak, input_side=self.data.side,
                               seed=s.seed, lr=s.lr, batch_size=s.batch_size, optimizer=s.optimizer,
                               epochs=epochs or s.epochs)
