"""Convolution arithmetic against torch for many seeded random configurations (a property test
without extra packages: the seed is printed when a case fails, so it can be replayed)."""

import itertools
import random

import pytest
import torch
from conftest import torch_conv

from tutor.engine import conv, layers
from tutor.engine.spec import ConvSpec
from tutor.labs.drill import question, random_layer
from tutor.labs.explain import parameter_formula, side_formula
from tutor.labs.session import reached


def random_case(rng: random.Random):
    return random_layer(rng)


@pytest.mark.parametrize("seed", range(300))
def test_formula_shape_and_parameters_equal_torch(seed):
    spec, shape = random_case(random.Random(seed))
    module = torch_conv(spec)
    out = module(torch.zeros(shape)).shape
    assert layers.output_shape(spec, shape) == tuple(out), f"seed {seed}"
    assert side_formula(spec, shape[2])[1] == out[2] and side_formula(spec, shape[3])[1] == out[3], f"seed {seed}"
    assert parameter_formula(spec)[1] == layers.parameter_count(spec) == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("seed", range(60))
def test_unrolled_windows_equal_torch_cell_by_cell(seed):
    spec, shape = random_case(random.Random(1000 + seed))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)).numpy()
    weight, bias = conv.initial_weights(spec, seed)
    out = conv.conv_forward(spec, x, weight, bias)
    _, outs, rows, cols = out.shape
    taps_rows, taps_cols = set(), set()
    for o, r, c in itertools.product(range(outs), range(rows), range(cols)):
        unrolled = conv.unroll(spec, x, weight, bias, o, r, c)
        assert unrolled.total == pytest.approx(float(out[0, o, r, c]), rel=1e-4, abs=1e-4), f"seed {seed}"
        for terms in unrolled.channels:
            taps_rows |= {t.row for t in terms.taps if 0 <= t.row < shape[2]}
            taps_cols |= {t.col for t in terms.taps if 0 <= t.col < shape[3]}
    side = (lambda size, out: reached(size, out, spec.kernel_size, spec.stride, spec.pads[0], spec.dilation))
    assert side(shape[2], rows) == taps_rows, f"seed {seed}"
    assert side(shape[3], cols) == taps_cols, f"seed {seed}"


def test_rejected_settings_are_explained():
    cases = {
        ConvSpec(3, 4, 3, groups=2): "divisible by groups",
        ConvSpec(1, 1, 3, stride=2, padding="same"): "padding='same' needs stride 1",
    }
    for spec, words in cases.items():
        with pytest.raises(layers.LayerError, match=words):
            layers.output_shape(spec, (1, spec.in_channels, 5, 5))
    with pytest.raises(layers.LayerError, match="larger than the"):
        layers.output_shape(ConvSpec(1, 1, 5), (1, 1, 3, 3))


def test_dropped_rows_when_the_stride_does_not_divide():
    spec = ConvSpec(1, 1, 3, stride=2)  # 6 rows: windows start at 0 and 2; row 5 is never reached
    out_rows = layers.output_shape(spec, (1, 1, 6, 6))[2]
    assert out_rows == 2 and reached(6, out_rows, 3, 2, 0) == {0, 1, 2, 3, 4}
    text, value = side_formula(spec, 6)
    assert value == 2 and "3/2 = 1.5, rounded down" in text


@pytest.mark.parametrize("seed", range(40))
def test_drill_answers_are_torchs(seed):
    asked = question(random.Random(seed))
    spec, shape = asked.layer, asked.input_shape
    module = torch_conv(spec)
    if asked.expected.kind == "shape":
        assert asked.expected.value == tuple(module(torch.zeros(shape)).shape), f"seed {seed}"
    else:
        assert asked.expected.value == sum(p.numel() for p in module.parameters()), f"seed {seed}"
