"""Pooling in the engine against torch itself."""

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from tutor.engine import layers, pool
from tutor.engine.spec import PoolSpec

CLASSIC = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]], dtype=np.float32)


def test_classic_max_pool():
    out, indices = pool.pool_forward(PoolSpec("max", 2), CLASSIC)
    assert out[0, 0].tolist() == [[6, 8], [3, 4]]
    expected_out, expected_idx = nn.MaxPool2d(2, return_indices=True)(torch.from_numpy(CLASSIC))
    assert np.array_equal(out, expected_out.numpy()) and np.array_equal(indices, expected_idx.numpy())
    cell = pool.pool_cell(PoolSpec("max", 2), CLASSIC, out, indices, 0, 1, 0)
    assert [t.value for t in cell.taps] == [3, 2, 1, 2] and cell.winner == (2, 0) and cell.value == 3


SPECS = [
    PoolSpec("max", 2), PoolSpec("avg", 2), PoolSpec("max", 3, stride=2, padding=1),
    PoolSpec("avg", 3, stride=2, padding=1), PoolSpec("max", 2, stride=2, ceil_mode=True),
    PoolSpec("avg", 2, stride=2, ceil_mode=True), PoolSpec("avg", 3, stride=2, padding=1, ceil_mode=True),
    PoolSpec("max", 3, stride=1, padding=1),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.call())
@pytest.mark.parametrize("shape", [(1, 2, 5, 5), (1, 1, 4, 7)])
def test_every_window_explains_torchs_value(spec, shape):
    gen = torch.Generator().manual_seed(5)
    x = torch.randint(-5, 6, shape, generator=gen).float()  # small integers: ties happen
    out, indices = pool.pool_forward(spec, x.numpy())
    assert out.shape == tuple(layers.build(spec)(x).shape)
    for c, r, q in itertools.product(range(out.shape[1]), range(out.shape[2]), range(out.shape[3])):
        cell = pool.pool_cell(spec, x.numpy(), out, indices, c, r, q)
        if spec.kind == "max":
            winner = x[0, c][cell.winner].item()
            assert winner == cell.value == max(t.value for t in cell.taps)
            assert cell.winner in {(t.row, t.col) for t in cell.taps}
        else:
            assert cell.total == pytest.approx(sum(t.value for t in cell.taps))
            assert cell.total / cell.divisor == pytest.approx(cell.value, abs=1e-6)


def test_gradient_flows_to_the_max_or_spreads_for_average():
    grad = pool.input_gradient(PoolSpec("max", 2), CLASSIC)
    assert grad[0, 0].tolist() == [[0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]]
    grad = pool.input_gradient(PoolSpec("avg", 2), CLASSIC)
    assert np.allclose(grad, 0.25)


def test_rejected_settings_are_explained():
    with pytest.raises(layers.LayerError, match="at most half the kernel size"):
        pool.pool_forward(PoolSpec("max", 2, padding=2), CLASSIC)
    with pytest.raises(layers.LayerError):
        pool.pool_forward(PoolSpec("max", 7), CLASSIC)


def test_shapes_and_no_parameters():
    assert layers.output_shape(PoolSpec("max", 2), (1, 3, 32, 32)) == (1, 3, 16, 16)
    assert layers.output_shape(PoolSpec("max", 2, stride=2, ceil_mode=True), (1, 1, 5, 5)) == (1, 1, 3, 3)
    assert layers.output_shape(PoolSpec("max", 2, stride=2), (1, 1, 5, 5)) == (1, 1, 2, 2)
    assert layers.parameter_count(PoolSpec("max", 2)) == 0 == sum(p.numel() for p in nn.MaxPool2d(2).parameters())
