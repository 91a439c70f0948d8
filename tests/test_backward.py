"""Convolution as a matrix, backwards and transposed, against torch computed here: unfolded
columns and the matrix C, every gradient cell against autograd, every transposed-convolution
cell against the scatter, the output-size formula against torch's shapes and refusals; the
sessions and the expected answers of the backward lesson."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import torch_conv
from torch import nn

from tutor.course.loader import LessonError, bundled_folder, load_lesson
from tutor.engine import backward, conv, layers
from tutor.engine.spec import ConvSpec, TransposedSpec
from tutor.labs.expected import expected
from tutor.labs.gradient import TARGETS, GradientSession
from tutor.labs.matrix import KERNEL, UnfoldSession
from tutor.labs.session import Address
from tutor.labs.transposed import TransposedSession
from tutor.numbers import format_number

BACKWARD = load_lesson(bundled_folder() / "backward.toml")


def random_conv(rng: np.random.Generator, groups: int | None = None) -> ConvSpec | None:
    """A random small layer; None where torch refuses it for the input drawn with it."""
    g = groups or int(rng.choice([1, 1, 2]))
    return ConvSpec(in_channels=g * int(rng.integers(1, 3)), out_channels=g * int(rng.integers(1, 3)),
                    kernel_size=int(rng.integers(1, 4)), stride=int(rng.integers(1, 4)),
                    padding=int(rng.integers(0, 3)), dilation=int(rng.integers(1, 3)), groups=g,
                    bias=bool(rng.random() < 0.5))


def layer_and_tensors(seed: int, groups: int | None = None):
    rng = np.random.default_rng(seed)
    while True:
        spec = random_conv(rng, groups)
        height, width = int(rng.integers(1, 8)), int(rng.integers(1, 8))
        module = torch_conv(spec)
        x = torch.from_numpy(rng.standard_normal((1, spec.in_channels, height, width)).astype(np.float32))
        try:
            y = module(x)
        except RuntimeError:
            continue
        return spec, module, x, y, torch.from_numpy(rng.standard_normal(tuple(y.shape)).astype(np.float32))


def bias_of(module) -> np.ndarray | None:
    return None if module.bias is None else module.bias.detach().numpy()


# --- the engine against torch --------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
def test_unfolded_columns_times_the_weights_rows_is_the_layer(seed):
    spec, module, x, y, _ = layer_and_tensors(seed, groups=1)
    weight = module.weight.detach().numpy()
    columns = backward.unfold(spec, x.numpy())
    assert columns.shape == F.unfold(x, spec.kernel_size, spec.dilation, spec.padding, spec.stride)[0].shape
    product = backward.matmul(weight.reshape(spec.out_channels, -1), columns)
    if module.bias is not None:
        product = product + bias_of(module)[:, None]
    assert np.allclose(product.reshape(y.shape), y.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("seed", range(40))
def test_the_matrix_c_is_the_layer_and_its_transpose_the_input_gradient(seed):
    spec, module, x, y, upstream = layer_and_tensors(seed)
    weight = module.weight.detach().numpy()
    matrix = backward.conv_matrix(spec, tuple(x.shape), weight)
    no_bias = y.detach().numpy() - (0 if module.bias is None else bias_of(module)[None, :, None, None])
    assert np.allclose(matrix @ x.numpy().reshape(-1), no_bias.reshape(-1), atol=1e-5)
    x.requires_grad_(True)
    module(x).backward(upstream)
    assert np.allclose(matrix.T @ upstream.numpy().reshape(-1), x.grad.numpy().reshape(-1), atol=1e-5)


@pytest.mark.parametrize("seed", range(60))
def test_every_gradient_cell_written_out_is_autograds(seed):
    spec, module, x, _, upstream = layer_and_tensors(seed)
    x.requires_grad_(True)
    module(x).backward(upstream)
    weight, dy = module.weight.detach().numpy(), upstream.numpy()
    grads = backward.gradients(spec, x.detach().numpy(), weight, bias_of(module), dy)
    assert np.allclose(grads.x, x.grad.numpy(), atol=1e-5)
    assert np.allclose(grads.weight, module.weight.grad.numpy(), atol=1e-4)
    if module.bias is not None:
        assert np.allclose(grads.bias, dy.sum(axis=(0, 2, 3)), atol=1e-5)
    _, channels, height, width = x.shape
    for c in range(channels):
        for i in range(height):
            for j in range(width):
                cell = backward.input_gradient_cell(spec, weight, dy, c, i, j)
                assert cell.total == pytest.approx(float(x.grad[0, c, i, j]), abs=1e-5)
                products = sum(t.upstream * t.factor for t in cell.terms)
                assert products == pytest.approx(cell.total, abs=1e-5)
    outs, slots, k, _ = weight.shape
    for o in range(outs):
        for slot in range(slots):
            for u in range(k):
                for v in range(k):
                    cell = backward.weight_gradient_cell(spec, x.detach().numpy(), dy, o, slot, u, v)
                    assert cell.total == pytest.approx(float(module.weight.grad[o, slot, u, v]), abs=1e-4)
    assert np.allclose(backward.transposed_gradient(spec, weight, dy, tuple(x.shape)), x.grad.numpy(), atol=1e-5)


def transposed_case(seed: int):
    rng = np.random.default_rng(seed)
    spec = TransposedSpec(in_channels=int(rng.integers(1, 3)), out_channels=int(rng.integers(1, 3)),
                          kernel_size=int(rng.integers(1, 5)), stride=int(rng.integers(1, 4)),
                          padding=int(rng.integers(0, 3)), output_padding=int(rng.integers(0, 3)),
                          dilation=int(rng.integers(1, 3)), bias=False)
    x = rng.standard_normal((1, spec.in_channels, int(rng.integers(1, 5)), int(rng.integers(1, 5)))).astype(np.float32)
    return spec, x


def torch_transposed(spec: TransposedSpec) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(spec.in_channels, spec.out_channels, spec.kernel_size, stride=spec.stride,
                              padding=spec.padding, output_padding=spec.output_padding, dilation=spec.dilation,
                              bias=False)


@pytest.mark.parametrize("seed", range(80))
def test_a_transposed_convolution_is_its_input_cells_scattered_and_its_formula_is_torchs(seed):
    spec, x = transposed_case(seed)
    module = torch_transposed(spec)
    try:
        out = module(torch.from_numpy(x)).detach().numpy()
    except RuntimeError as error:
        with pytest.raises(layers.LayerError) as refused:
            layers.output_shape(spec, x.shape)
        if "output padding" in str(error):
            assert "output_padding must be smaller than the stride or the dilation" in str(refused.value)
        return
    assert out.shape[2:] == (spec.side(x.shape[2]), spec.side(x.shape[3]))
    weight = module.weight.detach().numpy()
    assert np.allclose(backward.transposed_forward(spec, x, weight), out, atol=1e-5)
    cells = x[0].size
    assert np.allclose(backward.scatter_sum(spec, x, weight, cells), out, atol=1e-5)
    # each step adds exactly one input cell's kernel, where it lands
    before = backward.scatter_sum(spec, x, weight, cells - 1)
    c, i, j = np.unravel_index(cells - 1, x.shape[1:])
    added = backward.scatter_sum(spec, x, weight, cells) - before
    expect = np.zeros_like(added)
    for (u, v), (r, q) in backward.scattered(spec, c, i, j, out.shape[2:]).items():
        expect[0, :, r, q] += x[0, c, i, j] * weight[c, :, u, v]
    assert np.allclose(added, expect, atol=1e-5)


@pytest.mark.parametrize("seed", range(30))
def test_overlap_counts_are_the_kernel_cells_landing_on_each_output_cell(seed):
    spec, x = transposed_case(seed)
    try:
        counts = backward.overlap_counts(spec, x.shape[2:])
    except layers.LayerError:
        return
    expect = np.zeros(counts.shape)
    for i in range(x.shape[2]):
        for j in range(x.shape[3]):
            for r, q in backward.scattered(spec, 0, i, j, counts.shape).values():
                expect[r, q] += 1
    assert np.array_equal(counts, expect)


def test_the_flip_is_torch_flip():
    weight = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    assert np.array_equal(backward.flipped(weight), torch.flip(torch.from_numpy(weight), (2, 3)).numpy())


# --- sessions -------------------------------------------------------------------------------------
def test_the_notebooks_first_cell_is_one_row_times_one_column():
    session = UnfoldSession(BACKWARD.labs["notebook"])
    assert session.columns.shape == (8, 9)
    step = session.explain((0, 0, 0))
    assert step.value == pytest.approx(-10.25, abs=1e-5)
    assert step.windows[Address("col")] == {(i, 0) for i in range(8)}
    assert float(session.product[0, 0]) == pytest.approx(-10.25, abs=1e-5)
    assert "largest difference 0" in session.notes(("columns",))


@pytest.mark.parametrize("cell", [(o, r, q) for o in range(3) for r in range(3) for q in range(3)])
def test_flipped_the_lab_is_a_true_convolution(cell):
    session = UnfoldSession(BACKWARD.labs["notebook"])
    session.reconfigure("kernel", KERNEL[1])
    x, w = torch.from_numpy(session.x), torch.from_numpy(session.conv.weight)
    convolution = F.conv2d(x, torch.flip(w, (2, 3))).numpy()
    assert np.allclose(session.output, convolution, atol=1e-5)
    assert session.explain(cell).value == pytest.approx(float(convolution[(0, *cell)]), abs=1e-5)
    assert np.allclose(session.slice(Address("other", (cell[0],))), F.conv2d(x, w).numpy()[0, cell[0]], atol=1e-5)


def test_a_flipped_kernel_cell_is_stored_turned_back():
    session = UnfoldSession(BACKWARD.labs["notebook"])
    session.reconfigure("kernel", KERNEL[1])
    session.edit(Address("w", (0, 0)), 0, 0, 7.0)
    assert session.conv.weight[0, 0, 1, 1] == 7.0 and session.kernels[0, 0, 0, 0] == 7.0


def test_the_small_labs_matrix_has_the_kernel_in_every_row():
    session = UnfoldSession(BACKWARD.labs["small"])
    assert session.matrix.shape == (4, 9)
    assert (np.count_nonzero(session.matrix, axis=1) == 4).all()
    step = session.explain((0, 1, 1))
    assert step.windows[Address("C")] == {(3, 4), (3, 5), (3, 7), (3, 8)}


def autograd_of(session: GradientSession):
    spec = session.layer
    module = torch_conv(spec)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(session.conv.weight))
        if module.bias is not None:
            module.bias.copy_(torch.from_numpy(session.conv.bias))
    x = torch.from_numpy(session.conv.x.copy()).requires_grad_(True)
    module(x).backward(torch.from_numpy(session.upstream))
    return x.grad.numpy(), module.weight.grad.numpy()


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_the_gradient_lab_steps_every_cell_to_autograds_value(stride):
    session = GradientSession(BACKWARD.labs["grad"])
    session.reconfigure("stride", stride)
    assert np.array_equal(session.upstream, np.ones_like(session.conv.output))
    session.edit(Address("dy", (0,)), 0, 0, 2.5)
    x_grad, w_grad = autograd_of(session)
    channels, rows, cols = session.step_shape
    for i in range(rows):
        for j in range(cols):
            step = session.explain((0, i, j))
            assert step.value == pytest.approx(float(x_grad[0, 0, i, j]), abs=1e-5)
            assert step.lines[-1].endswith(format_number(step.value)) or step.detail.terms == ()
    session.reconfigure("target", TARGETS[1])
    assert session.step_shape == (1, 2, 2) and session.stepped_tensor == "gw"
    for u in range(2):
        for v in range(2):
            assert session.explain((0, u, v)).value == pytest.approx(float(w_grad[0, 0, u, v]), abs=1e-4)


def test_a_cell_no_window_covers_gets_no_gradient():
    session = GradientSession(BACKWARD.labs["grad"])
    session.reconfigure("stride", 3)  # 4 wide, k 2, stride 3: column 2 is never covered
    step = session.explain((0, 0, 2))
    assert step.value == 0 and "no window covers" in step.lines[0]


def test_the_transposed_lab_sums_its_scatters_into_torchs_output():
    session = TransposedSession(BACKWARD.labs["up"])
    module = torch_transposed(session.layer)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(session.weight))
        expect = module(torch.from_numpy(session.x)).numpy()
    assert expect.shape == (1, 1, 5, 5)
    steps = list(np.ndindex(*session.step_shape))
    for number, cell in enumerate(steps, start=1):
        step = session.explain(cell)
        done = (number == len(steps))
        assert np.allclose(session.so_far, expect, atol=1e-6) == done
    assert "sum equals t(x)" in step.lines[-1]
    assert "5 or 6: output_padding (0, 1)" in session.notes(("overlap",))


def test_a_refused_transposed_setting_changes_nothing():
    session = TransposedSession(BACKWARD.labs["up"])
    with pytest.raises(layers.LayerError, match="output_padding must be smaller"):
        session.reconfigure("output_padding", 2)
    assert session.layer == BACKWARD.labs["up"].layer
    session.reconfigure("height", 3)
    assert session.x.shape == (1, 1, 3, 2) and session.x[0, 0, 2].tolist() == [1, 1]


# --- the lesson's answers -----------------------------------------------------------------------------
def answer_of(exercise_id: str):
    exercise = next(e for page in BACKWARD.pages for e in page.exercises if e.id == exercise_id)
    return expected(exercise.answer, BACKWARD.labs)


def test_the_lessons_answers_are_torchs():
    a = torch.arange(32.0).reshape(1, 2, 4, 4)
    assert answer_of("unfold-shape").value == tuple(F.unfold(a, 2).shape)
    assert answer_of("row-times-column").value == pytest.approx(-10.25, abs=1e-5)
    assert answer_of("weight-grad-shape").value == (1, 1, 2, 2)
    x = torch.arange(16.0).reshape(1, 1, 4, 4).requires_grad_(True)
    layer = nn.Conv2d(1, 1, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[[[0.1, 0.2], [-0.4, -0.5]]]]))
    layer(x).sum().backward()
    assert answer_of("input-grad-value").value == pytest.approx(float(x.grad[0, 0, 0, 1]), abs=1e-6)
    assert answer_of("weight-grad-value").value == pytest.approx(float(layer.weight.grad[0, 0, 0, 0]))
    kernels = torch.from_numpy(UnfoldSession(BACKWARD.labs["notebook"]).conv.weight)
    flipped = F.conv2d(a, torch.flip(kernels, (2, 3)))
    assert answer_of("flipped-value").value == pytest.approx(float(flipped[0, 0, 0, 0]), abs=1e-5)
    up = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)
    assert answer_of("transposed-shape").value == tuple(up(torch.zeros(1, 1, 4, 4)).shape)
    padding = answer_of("undo-output-padding").value
    back = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=padding)
    small = nn.Conv2d(1, 1, 3, stride=2, padding=1)(torch.zeros(1, 1, 8, 8))
    assert tuple(back(small).shape) == (1, 1, 8, 8)


@pytest.mark.parametrize(("exercise", "wrong", "name"), [
    ("unfold-shape", (1, 9, 8), "columns and rows swapped"),
    ("unfold-shape", (1, 4, 9), "channels forgotten"),
    ("weight-grad-shape", (1, 1, 3, 3), "the output's shape"),
    ("input-grad-value", -0.9, "kernel not flipped"),
    ("weight-grad-value", 9.0, "windows counted"),
    ("flipped-value", -10.25, "not flipped"),
    ("transposed-shape", (1, 1, 2, 2), "Conv2d's formula used"),
    ("transposed-output-padding-shape", (1, 1, 7, 7), "output_padding forgotten"),
    ("undo-output-padding", 0, "none needed"),
])
def test_the_catalogue_names_the_backward_mistakes(exercise, wrong, name):
    mistakes = {m.name: m.wrong for m in answer_of(exercise).mistakes}
    assert name in mistakes
    got = mistakes[name]
    assert got == pytest.approx(wrong, abs=1e-4) if isinstance(wrong, float) else got == wrong


def test_the_conv_and_flip_page_explains_with_the_kernel_it_uses():
    session = UnfoldSession(BACKWARD.labs["notebook"])
    stored = session.explain((0, 0, 0)).lines[0]
    session.reconfigure("kernel", KERNEL[1])
    assert session.explain((0, 0, 0)).lines[0] != stored
    assert conv.unroll(session.layer, session.x, session.kernels, None, 0, 0, 0).total == pytest.approx(
        session.explain((0, 0, 0)).value, abs=1e-5)


# --- malformed lessons --------------------------------------------------------------------------------
BACKWARD_TEXT = (bundled_folder() / "backward.toml").read_text()


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ('stride = 2, bias = false }', 'stride = 2, bias = true }', "labs.up.layer.bias", "set bias = false"),
    ('stride = 2, bias = false }', 'stride = 2, output_padding = 2, bias = false }', "labs.up.layer.output_padding",
     "smaller than the stride"),
    ('input = { values = [[1, 2], [3, 4]] }', 'input = { values = [[1, 2], [3]] }', "labs.up.input.values",
     "equal lengths"),
    ('kind = "transposed"', 'kind = "transposd"', "labs.up.kind", "unknown lab kind"),
    ('lab = "grad", of = "input"', 'lab = "notebook", of = "input"', "answer.lab", "needs a gradient lab"),
    ('lab = "grad", of = "weight" }', 'lab = "grad", of = "kernel" }', "answer.of", "must be one of"),
    ('layer = { in_channels = 1, out_channels = 1, kernel_size = 2, bias = false }\n\n[[labs.small',
     'layer = { in_channels = 1, out_channels = 1, kernel_size = 2, bias = false, padding = "same" }\n\n[[labs.small',
     "labs.small.layer", "even padding"),
])
def test_malformed_backward_labs_and_answers_are_named(tmp_path, old, new, where, message):
    assert old in BACKWARD_TEXT
    path = tmp_path / "bad.toml"
    path.write_text(BACKWARD_TEXT.replace(old, new, 1))
    with pytest.raises(LessonError) as error:
        load_lesson(path)
    assert where in str(error.value) and message in str(error.value), str(error.value)


def test_stride_padding_and_dilation_keep_the_lessons_kernels():
    session = GradientSession(BACKWARD.labs["grad"])
    for name, value in (("stride", 2), ("padding", 1), ("dilation", 2)):
        session.reconfigure(name, value)
        assert np.allclose(session.conv.weight[0, 0], [[0.1, 0.2], [-0.4, -0.5]]), name
    notes = session.notes(())
    assert "padded by dilation × (k - 1) - padding = 1" in notes
    session.reconfigure("padding", 2)
    session.reconfigure("dilation", 1)
    assert "its outer 1 ring(s) cropped" in session.notes(())


def test_a_transposed_padding_that_crops_everything_is_explained():
    session = TransposedSession(BACKWARD.labs["up"])
    with pytest.raises(layers.LayerError, match="crops more than the output has"):
        session.reconfigure("padding", 3)


def check_of(exercise_id: str, typed: str):
    from tutor.course.answers import check

    return check(answer_of(exercise_id), typed)


def test_feedback_names_the_axes_and_the_mistakes_of_the_walk():
    assert "The answer has 3 axes, [batch, numbers in a window, windows]; yours has 2." in check_of("unfold-shape", "9x8").message
    assert "[out_channels, in_channels, kernel height, kernel width]" in check_of("weight-grad-shape", "1x4x4").message
    assert check_of("flipped-value", "0.9").mistake == "one input channel only"
    assert check_of("undo-output-padding", "2").mistake == "as large as the stride"
    assert check_of("undo-output-padding", "-1").mistake == "negative"
    assert "[1, 8, 9]" not in check_of("unfold-shape", "[1, 9, 8]").message  # the mistake, not the answer
    from tutor.course.answers import AnswerError

    with pytest.raises(AnswerError, match="too large for a count"):
        check_of("undo-output-padding", "99999999999999999999")
