"""torch.optim's SGD and Adam, update for update: the same tensor operations in the same order as
torch's single-tensor code path, which is the one it takes on the CPU (tests hold them to
torch.optim to the bit). Why not torch.optim itself: building any of its optimisers imports
torch._dynamo, +72 MB and 2.4 s here, for a few lines of arithmetic. The code a lesson shows
uses torch.optim, and prints the same numbers."""

from __future__ import annotations

import math

import torch


class SGD:
    """``torch.optim.SGD(params, lr)``: p -= lr × p.grad (no momentum, no weight decay)."""

    def __init__(self, params, lr: float) -> None:
        self.params, self.lr = list(params), lr

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None  # torch's default, set_to_none=True

    @torch.no_grad()
    def step(self) -> None:
        for param in self.params:
            if param.grad is not None:
                param.add_(param.grad, alpha=-self.lr)


class Adam(SGD):
    """``torch.optim.Adam(params, lr, betas=(0.9, 0.999), eps=1e-8)``: moving averages of the
    gradient and of its square, corrected for starting at zero."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.steps = betas, eps, 0
        self.averages = [(torch.zeros_like(p), torch.zeros_like(p)) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        step_size = self.lr / (1 - beta1 ** self.steps)
        correction2 = math.sqrt(1 - beta2 ** self.steps)
        for param, (mean, square) in zip(self.params, self.averages):
            if param.grad is None:
                continue
            mean.lerp_(param.grad, 1 - beta1)
            square.mul_(beta2).addcmul_(param.grad, param.grad, value=1 - beta2)
            param.addcdiv_(mean, (square.sqrt() / correction2).add_(self.eps), value=-step_size)


OPTIMIZERS = {"SGD": SGD, "Adam": Adam}
