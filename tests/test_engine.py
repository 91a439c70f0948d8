"""The engine against torch itself."""

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from tutor.engine import conv as engine
from tutor.engine import layers
from tutor.engine.spec import ConvSpec

NOTEBOOK = ConvSpec(in_channels=2, out_channels=3, kernel_size=2)


def notebook_lab():
    x = engine.make_input((1, 2, 4, 4))
    weight, _ = engine.initial_weights(NOTEBOOK, seed=0)
    weight[0, 0] = [[0.1, 0.2], [-0.4, -0.5]]
    weight[0, 1] = [[0.4, 0.3], [-0.42, -0.45]]
    return x, weight


def test_input_is_the_notebooks_arange():
    x = engine.make_input((1, 2, 4, 4))
    assert np.array_equal(x, torch.arange(32).reshape(1, 2, 4, 4).float().numpy())


def test_initial_weights_are_conv2d_init_under_the_seed():
    torch.manual_seed(7)
    expected = nn.Conv2d(2, 3, 2, bias=False).weight.detach().numpy()
    weight, bias = engine.initial_weights(NOTEBOOK, seed=7)
    assert bias is None
    assert np.array_equal(weight, expected)


def test_forward_is_nn_conv2d_with_the_weights_copied_in():
    x, weight = notebook_lab()
    c = nn.Conv2d(in_channels=2, out_channels=3, kernel_size=2, bias=False)
    with torch.no_grad():
        c.weight.copy_(torch.from_numpy(weight))
        expected = c(torch.from_numpy(x)).numpy()
    out = engine.conv_forward(NOTEBOOK, x, weight)
    assert out.shape == (1, 3, 3, 3)
    assert np.array_equal(out, expected)
    assert out[0, 0, 0, 0] == pytest.approx(-10.25, abs=1e-5)


def test_notebook_cell_unrolled():
    x, weight = notebook_lab()
    u = engine.unroll(NOTEBOOK, x, weight, None, 0, 0, 0)
    first, second = u.channels
    assert [t.x for t in first.taps] == [0, 1, 4, 5]
    assert [t.w for t in first.taps] == pytest.approx([0.1, 0.2, -0.4, -0.5])
    assert first.subtotal == pytest.approx(-3.9, abs=1e-5)
    assert [t.x for t in second.taps] == [16, 17, 20, 21]
    assert second.subtotal == pytest.approx(-6.35, abs=1e-5)
    assert u.total == pytest.approx(-10.25, abs=1e-5)


@pytest.mark.parametrize(
    "spec,shape",
    [
        (NOTEBOOK, (1, 2, 4, 4)),
        (ConvSpec(2, 4, 3, stride=2, padding=1, bias=True), (1, 2, 5, 6)),
        (ConvSpec(4, 2, 2, dilation=2, groups=2, bias=True), (1, 4, 6, 5)),
        (ConvSpec(3, 2, 3, stride=2, padding=1, bias=True), (1, 3, 5, 5)),
    ],
)
def test_every_unrolled_cell_equals_torch(spec, shape):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(shape, generator=gen).numpy()
    weight, bias = engine.initial_weights(spec, seed=1)
    out = engine.conv_forward(spec, x, weight, bias)
    _, outs, rows, cols = out.shape
    for o, r, c in itertools.product(range(outs), range(rows), range(cols)):
        u = engine.unroll(spec, x, weight, bias, o, r, c)
        assert u.total == pytest.approx(float(out[0, o, r, c]), rel=1e-5, abs=1e-5)
        # the window really is the slice of the (padded) input the kernel sees
        for terms in u.channels:
            for tap in terms.taps:
                inside = 0 <= tap.row < shape[2] and 0 <= tap.col < shape[3]
                expected = float(x[0, tap.in_channel, tap.row, tap.col]) if inside else 0.0
                assert tap.x == expected


def test_shape_and_parameter_count_match_torch():
    spec = ConvSpec(in_channels=5, out_channels=10, kernel_size=2, bias=True)
    assert layers.parameter_count(spec) == sum(p.numel() for p in nn.Conv2d(5, 10, 2).parameters()) == 210
    assert layers.output_shape(NOTEBOOK, (1, 2, 4, 4)) == (1, 3, 3, 3)
    assert layers.output_shape(ConvSpec(3, 8, 3, stride=2, padding=1), (1, 3, 32, 32)) == (1, 8, 16, 16)
