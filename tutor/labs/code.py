"""The Python that rebuilds a lab in PyTorch, for a learner to carry into a notebook."""

from __future__ import annotations

import numpy as np


def _literal(array) -> str:
    """A nested list literal with each float32 written in its shortest exact form."""
    if np.ndim(array) == 0:
        return np.format_float_positional(np.float32(array), trim="-")
    return "[" + ", ".join(_literal(item) for item in array) + "]"


def conv_code(spec, x, weight, bias, output) -> str:
    """Code for the lab's input, its ``nn.Conv2d`` with the lab's weights, and the forward pass."""
    lines = [
        "import torch",
        "from torch import nn",
        "",
        f"a = torch.tensor({_literal(x)}, dtype=torch.float32)  # shape {list(x.shape)}",
        f"c = {spec.call()}",
        "with torch.no_grad():",
        f"    c.weight.copy_(torch.tensor({_literal(weight)}, dtype=torch.float32))",
    ]
    if bias is not None:
        lines.append(f"    c.bias.copy_(torch.tensor({_literal(bias)}, dtype=torch.float32))")
    lines += [
        "    out = c(a)",
        f"print(out.shape)  # torch.Size({list(output.shape)})",
        "print(out)",
        "",
    ]
    return "\n".join(lines)
