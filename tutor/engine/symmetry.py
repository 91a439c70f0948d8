"""Why many output channels, and why random initialisation: feature maps of preset kernels,
and a two-layer net trained by SGD from equal or random starting weights (real autograd)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutor.engine.layers import run, seeded
from tutor.engine.optimizers import SGD
from tutor.engine.presets import PRESETS

# Kernels closer than this are the same kernel: equal starts stay equal up to float rounding
# (the convolution sums channels in different orders, ~1e-8 apart), never more than this.
SAME = 1e-5

def feature_maps(image: np.ndarray, kernels: np.ndarray) -> np.ndarray:
    """``nn.Conv2d(1, C, 3, padding=1, bias=False)`` with ``kernels`` [C, 3, 3] over a [H, W] image."""
    kernels = np.asarray(kernels, dtype=np.float32)
    conv = nn.Conv2d(1, len(kernels), 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(kernels)[:, None])
        return run(conv, torch.from_numpy(np.asarray(image, dtype=np.float32))[None, None])[0].numpy()


def distinct_count(tensors, atol: float = SAME) -> int:
    """How many different tensors there are among ``tensors`` (equal within ``atol``)."""
    kept: list[torch.Tensor] = []
    for tensor in tensors:
        tensor = torch.as_tensor(np.asarray(tensor))
        if not any(torch.allclose(tensor, other, rtol=0, atol=atol) for other in kept):
            kept.append(tensor)
    return len(kept)


def edge_magnitude(image: np.ndarray) -> np.ndarray:
    """sqrt(gx² + gy²) of the image with the Sobel kernels, scaled to at most 1: the target map."""
    x = torch.from_numpy(np.asarray(image, dtype=np.float32))[None, None]
    sobel = torch.tensor([PRESETS["vertical edge"], PRESETS["horizontal edge"]], dtype=torch.float32)[:, None]
    gradients = F.conv2d(x, sobel, padding=1)
    magnitude = gradients.pow(2).sum(dim=1).sqrt()[0]
    return (magnitude / magnitude.max().clamp(min=1e-12)).numpy()


@dataclass(frozen=True)
class Snapshot:
    """The trainer's state after a step, copied out for the screen."""

    step: int
    losses: tuple[float, ...]
    kernels: np.ndarray  # [3, 3, 3]: the hidden layer's kernels
    gradients: np.ndarray  # [3, 3, 3]: their gradients in the last step (zeros before the first)
    distinct_kernels: int
    gradients_identical: bool  # in the last step, were the three kernels' gradients equal?
    output: np.ndarray  # [H, W]: what the net draws now


class Trainer:
    """``Conv2d(1, 3, 3, padding=1) -> ReLU -> Conv2d(3, 1, 1)`` trained by SGD on MSE to a target.

    ``init="equal"``: every hidden kernel (and bias) equals channel 0's, every output weight
    equals the first; ``init="random"``: PyTorch's own initialisation under ``seed``.
    Thread-safe: a worker may step it while the screen takes snapshots.
    """

    HIDDEN = 3

    def __init__(self, image: np.ndarray, target: np.ndarray, init: str, seed: int, lr: float) -> None:
        self.x = torch.from_numpy(np.asarray(image, dtype=np.float32))[None, None]
        self.target = torch.from_numpy(np.asarray(target, dtype=np.float32))[None, None]
        with seeded(seed):
            self.hidden = nn.Conv2d(1, self.HIDDEN, 3, padding=1)
            self.out = nn.Conv2d(self.HIDDEN, 1, 1)
        if init == "equal":
            with torch.no_grad():
                self.hidden.weight.copy_(self.hidden.weight[:1].expand_as(self.hidden.weight))
                self.hidden.bias.fill_(float(self.hidden.bias[0]))
                self.out.weight.fill_(float(self.out.weight.flatten()[0]))
        elif init != "random":
            raise ValueError(f"unknown init {init!r}")
        self.net = nn.Sequential(self.hidden, nn.ReLU(), self.out)
        self.optimizer = SGD(self.net.parameters(), lr)  # torch.optim.SGD's update, tested equal to it
        self.losses: list[float] = []
        self.last_gradients = torch.zeros_like(self.hidden.weight)
        self._lock = threading.Lock()

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    def set_lr(self, lr: float) -> None:
        with self._lock:
            self.optimizer.lr = lr

    def step(self, count: int = 1) -> Snapshot:
        """``count`` SGD steps; returns the state after them."""
        with self._lock:
            for _ in range(count):
                self.optimizer.zero_grad()
                loss = F.mse_loss(self.net(self.x), self.target)
                loss.backward()
                self.last_gradients = self.hidden.weight.grad.detach().clone()
                self.optimizer.step()
                self.losses.append(float(loss.detach()))
            return self._snapshot()

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> Snapshot:
        kernels = self.hidden.weight.detach()[:, 0].clone()
        gradients = self.last_gradients[:, 0]
        with torch.no_grad():
            output = self.net(self.x)[0, 0].numpy()
        return Snapshot(
            step=len(self.losses),
            losses=tuple(self.losses),
            kernels=kernels.numpy(),
            gradients=gradients.numpy().copy(),
            distinct_kernels=distinct_count(kernels),
            gradients_identical=distinct_count(gradients) == 1,
            output=output,
        )
