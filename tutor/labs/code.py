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


def classifier_code(specs, *, data_file: str, peak: int, input_side: tuple[int, int], seed: int, lr: float,
                    batch_size: int, optimizer: str, epochs: int) -> str:
    """The training the lab runs, as the standard PyTorch loop: the same seed, the same shuffles,
    the same numbers (a test runs it beside the lab's trainer). Lines fit 76 columns."""
    from tutor.labs.network_text import short_call

    height, width = input_side
    layers = [f"    nn.{short_call(spec)}," for spec in specs]
    lines = [
        'import numpy as np',
        'import torch',
        'from torch import nn',
        'from torch.utils.data import DataLoader, TensorDataset',
        '',
        "# The lesson's data set: plain arrays, read without pickle.",
        f'path = {data_file!r}',
        'data = np.load(path, allow_pickle=False)',
        f'# Images [N, 1, {height}, {width}] scaled to 0..1, their digits,',
        '# and the fixed split into training and test images.',
        f'x = torch.from_numpy(data["images"]).float().unsqueeze(1) / {peak}',
        'y = torch.from_numpy(data["labels"]).long()',
        'train = torch.from_numpy(data["train"]).long()',
        'test = torch.from_numpy(data["test"]).long()',
        '',
        f'torch.manual_seed({seed})',
        'net = nn.Sequential(',
        *layers,
        ')',
        'loader = DataLoader(',
        f'    TensorDataset(x[train], y[train]), batch_size={batch_size},',
        f'    shuffle=True, generator=torch.Generator().manual_seed({seed}))',
        f'optimizer = torch.optim.{optimizer}(net.parameters(), lr={lr})',
        'loss_fn = nn.CrossEntropyLoss()',
        '',
        f'for epoch in range({epochs}):',
        '    net.train()',
        '    for images, labels in loader:',
        '        optimizer.zero_grad()',
        '        loss = loss_fn(net(images), labels)',
        '        loss.backward()',
        '        optimizer.step()',
        '    net.eval()',
        '    with torch.no_grad():',
        '        right = net(x[test]).argmax(dim=1) == y[test]',
        '    accuracy = right.float().mean().item()',
        '    print(f"epoch {epoch + 1}: loss {loss.item():.4f}, "',
        '          f"test accuracy {accuracy:.1%}")',
        '',
    ]
    return "\n".join(lines)
