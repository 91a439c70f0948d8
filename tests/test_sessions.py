"""Lab sessions without a screen: their state and maths against torch, computed here
independently; answers and the step-through come from the same session."""

import itertools
import re
import textwrap
from decimal import Decimal

import numpy as np
import pytest
import torch
from conftest import torch_conv
from torch import nn

from tutor.course.loader import bundled_folder, load_lesson
from tutor.course.model import ConvLabSpec
from tutor.engine.layers import LayerError
from tutor.engine.spec import ConvSpec
from tutor.labs.conv import ConvSession
from tutor.labs.expected import expected
from tutor.labs.features import FeatureSession
from tutor.labs.pool import PoolSession
from tutor.labs.session import Address
from tutor.labs.training import TrainingSession
from tutor.numbers import column_format, fixed, format_number

CONVOLUTION = load_lesson(bundled_folder() / "convolution.toml")
POOLING = load_lesson(bundled_folder() / "pooling.toml")
SYMMETRY = load_lesson(bundled_folder() / "symmetry.toml")


def reference(session: ConvSession) -> np.ndarray:
    """The session's layer rebuilt here and run on its tensors."""
    module = torch_conv(session.layer)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(session.weight))
        if module.bias is not None:
            module.bias.copy_(torch.from_numpy(session.bias))
        return module(torch.from_numpy(session.x)).numpy()


def test_the_notebook_lab_is_the_notebooks_layer():
    session = ConvSession(CONVOLUTION.labs["notebook"])
    assert session.x.tolist() == torch.arange(32).reshape(1, 2, 4, 4).float().tolist()
    assert np.allclose(session.weight[0, 0], [[0.1, 0.2], [-0.4, -0.5]])
    assert np.allclose(session.output, reference(session), atol=1e-6)
    step = session.explain((0, 0, 0))
    assert step.value == pytest.approx(-10.25, abs=1e-5)
    assert step.windows[Address("x", (0,))] == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert Address("w", (0, 1)) in step.windows and Address("w", (1, 0)) not in step.windows
    assert step.lines[-1].endswith("= -10.25")


@pytest.mark.parametrize("seed", range(12))
def test_every_cell_explained_adds_up_to_torchs_output(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    layer = ConvSpec(in_channels=2 * groups, out_channels=2 * groups, kernel_size=int(rng.integers(1, 4)),
                     stride=int(rng.integers(1, 3)), padding=int(rng.integers(0, 2)), dilation=int(rng.integers(1, 3)),
                     groups=groups, bias=bool(rng.random() < 0.5))
    try:
        session = ConvSession(ConvLabSpec("t", (1, 2 * groups, 7, 6), "randn", layer, seed))
    except LayerError:
        pytest.skip("torch refuses this layer")
    torch_out = reference(session)
    for o, r, c in itertools.product(*map(range, session.output_shape)):
        step = session.explain((o, r, c))
        total = sum(t.x * t.w for terms in step.detail.channels for t in terms.taps) + (step.detail.bias or 0)
        assert total == pytest.approx(torch_out[0, o, r, c], abs=1e-4), (seed, o, r, c)


def printed_sum(expression: str) -> Decimal:
    """The sum of ``a×b + c×d + …`` exactly as printed, worked out by hand (in decimal)."""
    total = Decimal(0)
    for term in expression.split(" + "):
        if "padding cell" in term:
            continue  # "0 (3 padding cells)": zeros times their kernel values
        factors = [Decimal(f.strip("()")) for f in term.removesuffix(" (bias)").split("×")]
        total += factors[0] * (factors[1] if len(factors) > 1 else 1)
    return total


@pytest.mark.parametrize("seed", range(6))
def test_printed_terms_add_up_to_the_printed_sum_or_say_they_do_not(seed):
    """A line ends in ``= s`` only when its printed terms, worked by hand, give s as printed;
    otherwise in ``≈ s``. One input channel and no bias: no sum line that only repeats."""
    rng = np.random.default_rng(seed)
    channels, bias = int(rng.integers(1, 4)), bool(seed % 2)
    layer = ConvSpec(in_channels=channels, out_channels=2, kernel_size=3, padding=seed % 3, bias=bias)
    session = ConvSession(ConvLabSpec("t", (1, channels, 5, 5), "randn", layer, seed))
    signs = set()
    for cell in itertools.product(*map(range, session.output_shape)):
        lines = session.explain(cell).lines
        assert any(line.startswith("sum:") for line in lines) == (channels > 1 or bias)
        for line in lines:
            expression, sign, shown = re.fullmatch(r"(?:in \d+|sum):\s+(.*) ([=≈]) (\S+)", line).groups()
            by_hand = format_number(float(printed_sum(expression)))  # to four decimals, as the total is
            assert (by_hand == format_number(float(shown))) == (sign == "="), line
            signs.add(sign)
    assert "≈" in signs  # random kernels: four decimals do not always add up exactly


def test_a_grid_column_has_one_number_of_decimals():
    values = [[-0.154, -0.2397], [3.0, 12.5]]
    width, decimals = column_format(values)
    written = [fixed(v, decimals) for row in values for v in row]
    assert written == ["-0.1540", "-0.2397", "3.0000", "12.5000"] and width == max(map(len, written))
    assert column_format([[0.0, 1.0], [-2.0, 16.0]]) == (2, 0) and fixed(-2.0, 0) == "-2"
    assert fixed(-0.00001, 2) == "0.00"  # no minus on a zero


def test_the_arithmetic_writes_each_factor_as_its_grid_does():
    """``56×0.0260`` under a kernel grid that shows ``0.0260``, not ``56×0.026``; after an edit
    that changes the kernel's decimals, the new ones."""
    layer = ConvSpec(in_channels=2, out_channels=1, kernel_size=2, bias=False)
    session = ConvSession(ConvLabSpec("t", (1, 2, 3, 3), "arange", layer, 0))
    session.edit(Address("w", (0, 1)), 0, 0, 0.026)

    def factors(cell) -> list[str]:
        step = session.explain(cell)
        return [term for line in step.lines for term in re.findall(r"\(?-?[\d.]+\)?×\(?-?[\d.]+\)?", line)]

    def as_grid(tensor: str, index: tuple, value: float) -> str:
        text = fixed(value, column_format(session.slice(Address(tensor, index)))[1])
        return f"({text})" if text.startswith("-") else text

    def check() -> None:
        for cell in itertools.product(*map(range, session.output_shape)):
            channels = session.explain(cell).detail.channels
            assert factors(cell) == [f"{as_grid('x', (terms.in_channel,), tap.x)}×"
                                     f"{as_grid('w', (0, terms.kernel_index), tap.w)}"
                                     for terms in channels for tap in terms.taps]

    check()
    assert "×0.0260" in " ".join(session.explain((0, 0, 0)).lines)
    for row, col in itertools.product(range(2), range(2)):  # a kernel of halves: one decimal now
        session.edit(Address("w", (0, 1)), row, col, 0.5)
    check()
    assert "×0.5 " in " ".join(session.explain((0, 0, 0)).lines)


def test_an_edit_recomputes_and_names_only_what_changed():
    session = ConvSession(CONVOLUTION.labs["notebook"])
    before = session.output.copy()
    where, changed = session.edit(Address("w", (1, 0)), 0, 1, 2.5)
    assert where == "c.weight[1, 0, 0, 1] = 2.5" and changed == [Address("w", (1, 0)), Address("y", (1,))]
    assert np.allclose(session.output, reference(session), atol=1e-5)
    assert np.array_equal(session.output[0, [0, 2]], before[0, [0, 2]])  # the other channels are as they were
    where, changed = session.edit(Address("x", (1,)), 3, 3, -7)
    assert where == "a[0, 1, 3, 3] = -7" and set(session.output_addresses()) <= set(changed)
    assert np.allclose(session.output, reference(session), atol=1e-5)
    session.reset()
    assert session.weight[1, 0, 0, 1] != 2.5 and session.x[0, 1, 3, 3] == 31


def test_a_refused_setting_leaves_the_session_as_it_was():
    session = ConvSession(CONVOLUTION.labs["notebook"])
    state = (session.layer, session.output.copy())
    with pytest.raises(LayerError, match="divisible by groups"):
        session.reconfigure(*session.with_setting("groups", 4))
    assert session.layer == state[0] and np.array_equal(session.output, state[1])
    session.reconfigure(*session.with_setting("stride", 2))
    assert session.output.shape == (1, 3, 2, 2) and np.allclose(session.output, reference(session), atol=1e-6)


def test_the_code_a_session_writes_rebuilds_it():
    session = ConvSession(CONVOLUTION.labs["notebook"])
    session.edit(Address("x", (0,)), 0, 0, 1.5)
    scope: dict = {}
    exec(session.code(), scope)  # the learner's own notebook would run exactly this
    assert np.allclose(scope["out"].detach().numpy(), session.output, atol=1e-6)


def test_the_pool_session_marks_the_winner_torch_returns():
    session = PoolSession(POOLING.labs["classic"])
    out, indices = nn.MaxPool2d(2, return_indices=True)(torch.from_numpy(session.x))
    assert np.array_equal(session.out, out.numpy())
    for c, r, q in itertools.product(*map(range, session.output_shape)):
        step = session.explain((c, r, q))
        (winner,) = step.marked[Address("x", (c,))]
        assert winner[0] * session.x.shape[3] + winner[1] == indices[0, c, r, q]
    session.reconfigure("kind", "avg")
    assert np.allclose(session.out, nn.AvgPool2d(2)(torch.from_numpy(session.x)).numpy())
    x = torch.from_numpy(session.x.copy()).requires_grad_()
    nn.AvgPool2d(2)(x).sum().backward()
    assert np.array_equal(session.grad, x.grad.numpy())


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_a_pooling_window_writes_each_number_as_its_grid_does(kind):
    """Pooling a convolution's output, whose grid writes four decimals (10.2020), the window's
    values and its sum are written as the input's grid writes them (not 10.202), and so is the
    max, the input cell that wins; a mean as the output's grid writes it."""
    session = PoolSession(POOLING.labs["after-conv"])
    session.reconfigure("kind", kind)
    written = []
    for c, r, q in itertools.product(*map(range, session.output_shape)):
        x, out = session.slice(Address("x", (c,))), session.slice(Address("y", (c,)))
        step = session.explain((c, r, q))
        values = [fixed(float(x[t.row, t.col]), column_format(x)[1]) for t in step.detail.taps]
        result = fixed(float(out[r, q]), column_format(out)[1])
        written += [*values, result]
        if kind == "max":
            assert step.lines[0].startswith(f"window: {', '.join(values)}")
            winner = fixed(float(x[step.detail.winner]), column_format(x)[1])
            assert step.lines[1].startswith(f"max = {winner}, at input row")
        else:
            assert step.lines[0].startswith(f"({' + '.join(values)}")
            assert f" {result}" in step.lines[0]
    assert any("." in number and number.endswith("0") for number in written)  # what format_number drops


def test_the_feature_session_counts_distinct_maps():
    session = FeatureSession(SYMMETRY.labs["features"])
    conv = nn.Conv2d(1, len(session.kernels), 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(session.kernels)[:, None])
        maps = conv(torch.from_numpy(session.image)[None, None])[0].numpy()
    assert np.allclose(session.maps, maps, atol=1e-6) and session.distinct == len(maps)
    session.equalize()
    assert session.distinct == 1 and "1 of" in session.summary()
    session.reset()
    assert session.distinct == len(maps)


def test_the_training_session_restarts_and_keeps_its_rate():
    session = TrainingSession(SYMMETRY.labs["training"])
    first = session.step()
    assert first.step == 1 and first.losses[0] > 0
    session.set_lr(0.3)
    session.restart("random")
    assert session.snapshot.step == 0 and session.init == "random" and session.trainer.lr == 0.3


def test_answers_are_explained_by_the_same_session():
    page = next(p for p in CONVOLUTION.pages for e in p.exercises if e.id == "first-value")
    answer = next(e for e in page.exercises if e.id == "first-value").answer
    worked = expected(answer, CONVOLUTION.labs)
    step = ConvSession(CONVOLUTION.labs[answer.lab]).explain(answer.index[1:])
    assert worked.value == step.value and all(line in worked.solution for line in step.lines)


def test_an_average_that_four_decimals_cannot_write_says_so():
    session = PoolSession(POOLING.labs["classic"])
    session.reconfigure("kind", "avg")
    assert " = 13 / 4 = 3.25" in session.explain((0, 0, 0)).lines[-1]  # exact: =
    session.reconfigure("kernel_size", 3)
    line = session.explain((0, 0, 0)).lines[-1]
    mean = float(nn.AvgPool2d(3)(torch.tensor(session.x))[0, 0, 0, 0])  # 28 / 9, computed here
    assert "/ 9 ≈ " in line and line.endswith(format_number(mean))


@pytest.mark.parametrize("width", [20, 40, 75, 118])
def test_arithmetic_is_broken_between_terms_and_never_wider_than_its_box(width):
    from tutor.labs.explain import wrapped

    line = "in 12:  " + " + ".join(f"{n}×(-0.{n:04d})" for n in range(1, 14)) + " ≈ -12.3456"
    rows = wrapped(line, width)
    assert all(len(row) <= width for row in rows)
    assert " ".join(row.strip() for row in rows).split() == line.split()  # every term, in order
    indents = {len(row) - len(row.lstrip()) for row in rows[1:]}
    assert indents <= {2, len("in 12:  ")}  # aligned after the label, or by two where that costs a row
    short = textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False)
    aligned = textwrap.wrap(line, width, subsequent_indent=" " * len("in 12:  "), break_on_hyphens=False)
    assert len(rows) == len(short)  # the alignment never costs a row
    assert len(aligned) > len(short) or indents == {len("in 12:  ")} or all(
        row.lstrip()[:2] in ("+ ", "≈ ") for row in rows[1:])  # aligned where free, unless whole terms came first
    assert wrapped("short", width) == ["short"]


def test_arithmetic_keeps_its_terms_whole_where_that_costs_no_row():
    from tutor.labs.explain import wrapped

    line = "in 0:  0×0.1663 + 1×(-0.1247) + 5×(-0.1345) + 6×(-0.1802) + 0 (5 padding cells) ≈ -1.8785"
    assert wrapped(line, 75) == ["in 0:  0×0.1663 + 1×(-0.1247) + 5×(-0.1345) + 6×(-0.1802)",
                                 "       + 0 (5 padding cells) ≈ -1.8785"]
    rows = wrapped(line, 40)
    assert all(row.lstrip()[:2] in ("+ ", "≈ ") for row in rows[1:]) and all(len(row) <= 40 for row in rows)
    # a sum in brackets is one term: it is not broken at its +
    assert wrapped("in 1:  3×(-0.5) + (2 + 3)×(-0.25 + 1) ≈ -0.375", 24) == [
        "in 1:  3×(-0.5)", "  + (2 + 3)×(-0.25 + 1)", "  ≈ -0.375"]


def test_breaking_a_sum_chooses_as_trying_every_way_would():
    """The wrap's shortcuts (its own word breaker, stopping when the first way cannot be beaten)
    give what its definition gives: the first of the fewest rows among whole terms and
    ``textwrap``'s breaks, each indented after the label or by two."""
    import random

    from tutor.labs.explain import LABEL, _by_terms, _by_words, _terms, wrapped

    def by_definition(line: str, width: int) -> list[str]:
        if width <= 0 or len(line) <= width:
            return [line]
        label = LABEL.match(line)
        indents = [len(label.group()), 2] if label and len(label.group()) <= width // 3 else [2]
        words = [textwrap.wrap(line, width, subsequent_indent=" " * i, break_on_hyphens=False) or [line]
                 for i in indents]
        return min([*(_by_terms(_terms(line), width, i) for i in indents), *words], key=len)

    def terms_by_definition(line: str) -> list[str]:  # cut before an operator, character by character
        terms, depth, start = [], 0, 0
        for i, char in enumerate(line):
            depth += (char in "([") - (char in ")]" and depth > 0)
            if char == " " and not depth and line[i + 1:i + 3] in ("+ ", "= ", "≈ "):
                terms.append(line[start:i])
                start = i + 1
        return [*terms, line[start:]]

    pieces = ["0×0.1663", "+", "=", "≈", "(-0.25 + 1)×2", "… (12 more)", "0 (3 padding cells)", "x" * 30, "(bias)",
              "y[0, 1 + 2]", ")", "(("]
    rng = random.Random(13)
    for _ in range(3000):
        line = rng.choice(["", "in 0:  ", "sum:   ", "in 4-15:  "]) + "".join(
            rng.choice(pieces) + rng.choice([" ", " ", "  ", "   "]) for _ in range(rng.randint(1, 25))).rstrip()
        width = rng.randint(1, 90)
        assert wrapped(line, width) == by_definition(line, width), (line, width)
        assert _terms(line) == terms_by_definition(line), line
        for indent in (2, 7):
            assert _by_words(line, width, indent) == (
                textwrap.wrap(line, width, subsequent_indent=" " * indent, break_on_hyphens=False) or [line])


def test_a_sum_writes_out_the_channels_asked_for_and_counts_the_others():
    from tutor.labs.explain import spans

    session = ConvSession(ConvLabSpec("t", (1, 7, 4, 4), "randn", ConvSpec(7, 1, 2, bias=False), 3))
    step = session.explain((0, 1, 2), written=(2, 5))
    assert [line.split(":")[0] for line in step.lines] == ["in 2", "in 5", "in 0-1, 3-4, 6", "sum"]
    assert "5 more input channels" in step.lines[2]
    x, w = torch.tensor(session.x), torch.tensor(session.weight)
    subtotal = float((x[0, 5, 1:3, 2:4] * w[0, 5]).sum())  # the window of cell (1, 2), by hand
    assert step.lines[1].endswith(fixed(subtotal, session.decimals(Address("y", (0,)))))
    assert len(step.lines[-1].split(" + ")) == 7  # every channel's subtotal is in the sum
    one = session.explain((0, 0, 0), written=(0, 1, 2, 3, 4, 5))
    assert "in 6:  1 more input channel, each a window times its kernel: its subtotal is in the sum" in one.lines
    assert spans([0, 1, 2, 4, 6, 7]) == "0-2, 4, 6-7" and spans([3]) == "3"
