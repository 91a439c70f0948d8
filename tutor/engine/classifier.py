"""A small CNN trained to classify images, the standard PyTorch way: a ``DataLoader`` that
shuffles with a seeded generator, torch.optim's update (``engine.optimizers``), and
``nn.CrossEntropyLoss``. The code a lesson shows (``labs.code.classifier_code``) runs the same
steps with ``torch.optim`` itself and prints the same numbers."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tutor.engine import network
from tutor.engine.optimizers import OPTIMIZERS
from tutor.engine.spec import NetLayerSpec


@dataclass(frozen=True)
class Progress:
    """The trainer's state after some batches, copied out for the screen."""

    epoch: int  # whole epochs done
    batches: int  # batches done in all
    losses: tuple[float, ...]  # one per batch
    accuracies: tuple[float, ...]  # test accuracy after each whole epoch (0..1)
    accuracy: float  # test accuracy now
    confusion: np.ndarray  # [classes, classes]: rows the true class, columns the prediction


class Classifier:
    """``specs`` as an ``nn.Sequential`` trained on ``images`` [N, H, W] (whole numbers up to
    ``peak``, scaled to 0..1) with ``labels``; ``train`` and ``test`` index them. Thread-safe:
    a worker trains while the screen reads."""

    def __init__(self, specs: tuple[NetLayerSpec, ...], images: np.ndarray, labels: np.ndarray,
                 train: np.ndarray, test: np.ndarray, *, peak: int, seed: int, lr: float,
                 batch_size: int, optimizer: str = "Adam") -> None:
        self.x = torch.from_numpy(np.array(images)).float().unsqueeze(1) / peak  # a copy: the data set is read-only
        self.y = torch.from_numpy(np.array(labels)).long()
        self.train_index, self.test_index = (torch.from_numpy(np.array(i)).long() for i in (train, test))
        self.peak, self.classes = peak, int(self.y.max()) + 1
        self.net = network.build(specs, (1, *self.x.shape[1:]), seed)
        self.loader = DataLoader(TensorDataset(self.x[self.train_index], self.y[self.train_index]),
                                 batch_size=batch_size, shuffle=True,
                                 generator=torch.Generator().manual_seed(seed))
        self.optimizer = OPTIMIZERS[optimizer](self.net.parameters(), lr=lr)  # torch.optim's update
        self.loss_fn = nn.CrossEntropyLoss()
        self.epoch, self.losses, self.accuracies = 0, [], []
        self._batches = iter(())
        self._lock = threading.Lock()
        self._evaluated = self._evaluate()

    def train(self, batches: int = 1) -> Progress:
        """``batches`` optimiser steps; at the end of each epoch, the test accuracy. The lock is
        taken a batch at a time: the screen, reading the net, never waits for a whole chunk."""
        for _ in range(batches):
            with self._lock:
                self._train_batch()
        with self._lock:
            if len(self.losses) % len(self.loader):
                self._evaluated = self._evaluate()  # mid-epoch: the accuracy now, for the screen
            return self._progress()

    def _train_batch(self) -> None:
        self.net.train()
        batch = next(self._batches, None)
        if batch is None:
            self._batches = iter(self.loader)  # a new epoch, a new shuffle
            batch = next(self._batches)
        images, labels = batch
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.net(images), labels)
        loss.backward()
        self.optimizer.step()
        self.losses.append(float(loss.detach()))
        if len(self.losses) % len(self.loader) == 0:
            self.epoch += 1
            self._evaluated = self._evaluate()
            self.accuracies.append(self._evaluated[0])

    def _evaluate(self) -> tuple[float, np.ndarray]:
        """Test accuracy and the confusion matrix (``torch.bincount`` of true × predicted)."""
        self.net.eval()
        with torch.no_grad():
            predicted = self.net(self.x[self.test_index]).argmax(dim=1)
        truth = self.y[self.test_index]
        accuracy = float((predicted == truth).float().mean())
        confusion = torch.bincount(truth * self.classes + predicted, minlength=self.classes ** 2)
        return accuracy, confusion.reshape(self.classes, self.classes).numpy()

    def progress(self) -> Progress:
        with self._lock:
            return self._progress()

    def _progress(self) -> Progress:
        accuracy, confusion = self._evaluated
        return Progress(self.epoch, len(self.losses), tuple(self.losses), tuple(self.accuracies), accuracy,
                        confusion)

    @property
    def batches_per_epoch(self) -> int:
        return len(self.loader)

    def image(self, index: int) -> np.ndarray:
        """Image ``index`` of the data set as the net sees it: [H, W], 0..1."""
        return self.x[index, 0].numpy()

    def look(self, image: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The net's class probabilities (softmax of its output) for one [H, W] image of 0..1,
        and every layer's output for it (batch dimension dropped)."""
        with self._lock:
            self.net.eval()
            outputs = network.layer_outputs(self.net, image)
            return torch.softmax(torch.from_numpy(outputs[-1]), dim=0).numpy(), outputs

    def first_kernels(self) -> np.ndarray:
        """The first layer's kernels [out, in, k, k], as they are now."""
        with self._lock:
            return self.net[0].weight.detach().numpy().copy()
