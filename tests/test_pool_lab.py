"""The pooling lab driven by keys, compared with nn.MaxPool2d / nn.AvgPool2d run here."""

import numpy as np
import torch
from conftest import goto_page, grid, screen_text, settle, shown, tab_to, text
from torch import nn

from tutor.widgets.stepper import Stepper

X = torch.tensor([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]], dtype=torch.float32)
SETTINGS_PAGE, GRADIENT_PAGE, CONV_PAGE, POOLED_PAGE = 2, 3, 4, 5


async def test_classic_example_is_what_maxpool2d_gives(make_app):
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 1)
        out, indices = nn.MaxPool2d(2, return_indices=True)(X)
        assert shown(app, "y-0").tolist() == out[0, 0].tolist() == [[6, 8], [3, 4]]
        assert grid(app, "x-0").marked == {(1, 1)}  # torch's index 5 -> row 1, column 1
        await pilot.press("n", "n")
        assert text(app, "#steps").startswith("output[0, 0, 1, 0] = 3")
        flat = indices[0, 0, 1, 0].item()
        assert grid(app, "x-0").marked == {(flat // 4, flat % 4)}
        assert grid(app, "x-0").window == {(2, 0), (2, 1), (3, 0), (3, 1)}


async def test_settings_switch_by_keys_and_recompute(make_app):
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, SETTINGS_PAGE)
        await tab_to(app, pilot, "set-kind")
        max_rows = len(text(app, "#steps").splitlines())  # max pooling: the window, then the winner
        await pilot.press("right")  # AvgPool2d
        assert shown(app, "y-0").tolist() == nn.AvgPool2d(2)(X)[0, 0].tolist()
        assert "(1 + 1 + 5 + 6) / 4 = 13 / 4 = 3.25" in text(app, "#steps")
        assert len(text(app, "#steps").rstrip("\n").splitlines()) < max_rows
        assert not text(app, "#steps").endswith("\n"), "the box keeps no rows of max pooling's sums"
        await pilot.press("n", "n")  # (3 + 2 + 1 + 2) / 4 = 2, which the map writes 2.00
        assert text(app, "#steps").startswith("output[0, 0, 1, 0] = 2.00")  # as the map writes it
        assert shown(app, "y-0")[1, 0] == 2.0
        await pilot.press("p", "p")
        await tab_to(app, pilot, "set-stride")
        await pilot.press("right")  # stride 1: overlapping windows
        expected = nn.AvgPool2d(2, stride=1)(X)
        assert shown(app, "y-0").shape == (3, 3)
        assert np.allclose(shown(app, "y-0"), expected[0, 0].numpy())
        await tab_to(app, pilot, "set-padding")
        await pilot.press("right")
        expected = nn.AvgPool2d(2, stride=1, padding=1)(X)
        assert np.allclose(shown(app, "y-0"), expected[0, 0].numpy())
        assert grid(app, "x-0").pad == 1 and grid(app, "x-0").pad_text == "0"
        assert "padding zero(s) count too" in text(app, "#steps")


async def test_ceil_mode_keeps_the_partial_window(make_app):
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, SETTINGS_PAGE)
        await tab_to(app, pilot, "set-kernel_size")
        await pilot.press("right")  # kernel 3, stride = kernel: floor((4 - 3) / 3) + 1 = 1
        assert shown(app, "y-0").shape == (1, 1)
        await tab_to(app, pilot, "set-ceil_mode")
        await pilot.press("right")
        expected = nn.MaxPool2d(3, ceil_mode=True)(X)
        assert shown(app, "y-0").tolist() == expected[0, 0].tolist()
        assert shown(app, "y-0").shape == (2, 2)


async def test_rejected_padding_keeps_the_last_good_state(make_app):
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, SETTINGS_PAGE)
        await tab_to(app, pilot, "set-padding")
        await pilot.press("right")  # padding 1: fine for kernel 2
        good = shown(app, "y-0")
        await pilot.press("right")  # padding 2 > kernel 2 / 2: torch refuses
        assert "at most half the kernel size" in text(app, "#lab-status")
        assert app.screen.query_one("#set-padding", Stepper).value == 1
        assert np.array_equal(shown(app, "y-0"), good)
        assert app.screen.query_one("#lab").session.pool.padding == 1


async def test_editing_the_input_moves_the_winner(make_app):
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, SETTINGS_PAGE)
        await tab_to(app, pilot, "x-0")
        await pilot.press("enter", *"9", "enter")  # cell [0, 0] becomes 9
        x = X.clone()
        x[0, 0, 0, 0] = 9
        assert shown(app, "y-0").tolist() == nn.MaxPool2d(2)(x)[0, 0].tolist()
        assert grid(app, "x-0").marked == {(0, 0)}
        await pilot.press("enter", *"nan", "enter")
        assert "not a finite number" in text(app, "#lab-status")
        assert shown(app, "x-0")[0, 0] == 9
        await pilot.press("r")
        assert shown(app, "x-0").tolist() == X[0, 0].tolist()


async def test_gradient_view_is_autograd(make_app):
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, GRADIENT_PAGE)
        for module in (nn.MaxPool2d(2), nn.AvgPool2d(2)):
            x = X.clone().requires_grad_(True)
            module(x).sum().backward()
            assert shown(app, "g-0").tolist() == x.grad[0, 0].tolist()
            await tab_to(app, pilot, "set-kind")
            await pilot.press("right")


async def test_conv_then_pool_shapes(make_app):
    """The question comes with the convolution's maps, not with their pooled shape (it once showed
    the answer above the question); the next page pools them, every number torch's."""
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, CONV_PAGE)
        torch.manual_seed(0)
        c = nn.Conv2d(2, 3, 2, bias=False)
        with torch.no_grad():
            c.weight[0, 0] = torch.tensor([[0.1, 0.2], [-0.4, -0.5]])
            c.weight[0, 1] = torch.tensor([[0.4, 0.3], [-0.42, -0.45]])
            feature_maps = c(torch.arange(32).reshape(1, 2, 4, 4).float())
        pooled = nn.MaxPool2d(2)(feature_maps)
        assert pooled.shape == (1, 3, 1, 1)
        page = "\n".join(screen_text(app))
        assert "[1, 3, 1, 1]" not in page and "MaxPool2d(2)" in page
        await tab_to(app, pilot, "answer")
        await pilot.press(*"[1, 3, 1, 1]", "enter")
        await settle(app, pilot)
        assert app.screen.query_one("ExerciseCard").status == "correct"
        await pilot.press("pagedown")
        await settle(app, pilot)
        for channel in range(3):
            assert np.array_equal(shown(app, f"x-{channel}"), feature_maps[0, channel].numpy())
            assert np.array_equal(shown(app, f"y-{channel}"), pooled[0, channel].numpy())
        chain = text(app, "#chain")
        assert "[1, 2, 4, 4] → nn.Conv2d" in chain and "→ [1, 3, 3, 3] → nn.MaxPool2d(kernel_size=2) → [1, 3, 1, 1]" in chain
        assert "floor((3 + 2×0 - 2) / 2) + 1 = 1" in chain
        await pilot.press("escape")
        await settle(app, pilot)
        lessons = app.screen.query_one("#lessons")
        prompt = next(str(option.prompt) for option in lessons.options if str(option.prompt).startswith("Pooling"))
        assert "1 of 6 exercises solved" in prompt and "6 of 7 pages seen" in prompt


async def test_the_input_resizes_so_the_5x5_questions_can_be_tried(make_app):
    """H and W grow the input (new cells 0); the rows and columns no window reaches are struck
    out, until ceil_mode keeps a last partial window; r brings the 4x4 back."""
    app = make_app("pooling")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, SETTINGS_PAGE)
        for setting in ("height", "width"):
            await tab_to(app, pilot, f"set-{setting}")
            await pilot.press("right")
            await settle(app, pilot)
        x = torch.zeros(1, 1, 5, 5)
        x[..., :4, :4] = X
        assert shown(app, "x-0").tolist() == x[0, 0].tolist()
        assert shown(app, "y-0").tolist() == nn.MaxPool2d(2)(x)[0, 0].tolist()
        assert grid(app, "x-0").dropped == {(r, c) for r in range(5) for c in range(5) if r == 4 or c == 4}
        assert "✗: no window reaches it" in text(app, "#input-heading")
        await tab_to(app, pilot, "set-ceil_mode")
        await pilot.press("right")
        await settle(app, pilot)
        assert shown(app, "y-0").tolist() == nn.MaxPool2d(2, ceil_mode=True)(x)[0, 0].tolist()
        assert tuple(shown(app, "y-0").shape) == (3, 3) and grid(app, "x-0").dropped == set()
        await pilot.press("r")
        await settle(app, pilot)
        assert shown(app, "x-0").tolist() == X[0, 0].tolist()
        assert app.screen.query_one("#set-height", Stepper).value == 4


async def test_the_pooled_maps_show_whole_at_80x24_with_their_dropped_column(make_app):
    """The page is about the row and column pooling drops: at 80 columns the three maps wrap onto
    two lines rather than being cropped to two columns each (a learner found the ✗ hidden)."""
    from tutor.widgets.tensor_grid import TensorGrid

    app = make_app("pooling")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, POOLED_PAGE)
        await pilot.press("n")
        await settle(app, pilot)
        inputs = [grid for grid in app.screen.query(TensorGrid) if grid.id.startswith("x-")]
        assert len(inputs) == 3 and all(grid.view_size == grid.full_size == (3, 3) for grid in inputs)
        assert all(not grid.border_subtitle for grid in inputs)
        assert sum(line.count("✗") for line in screen_text(app) if "│" in line) == 3 * 5  # row 2, column 2 of each


def settings_agree(app) -> None:
    """Every setting on screen shows the value the lab computes with."""
    from tutor.widgets.lab import LabView

    lab = app.screen.query_one(LabView)
    values = lab.session.settings()
    shown_values = {s.id.removeprefix("set-"): s.value for s in app.screen.query(Stepper)}
    assert shown_values and all(values[name] == value for name, value in shown_values.items() if name in values), \
        (shown_values, values)


async def test_a_burst_of_keys_with_a_reset_leaves_the_settings_showing_what_is_computed(make_app):
    """Keys typed faster than the lab rebuilds (tmux, a paste, a held key) are acted on in the
    order they were pressed, and the settings end up showing the layer torch computes with."""
    from textual import events

    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, SETTINGS_PAGE)
        await tab_to(app, pilot, "set-kernel_size")
        for key in ["right", "right", "r", "right", "right", "right", "right", "left"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))  # all queued at once
        await settle(app, pilot)
        settings_agree(app)
        kernel = app.screen.query_one("#set-kernel_size").value
        pooled = nn.MaxPool2d(kernel)(X) if kernel <= 4 else None
        if pooled is not None and pooled.numel():
            assert shown(app, "y-0").tolist() == pooled[0, 0].tolist()
        for key in ["r", "right"]:  # a reset, then a change: the change wins
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(app, pilot)
        settings_agree(app)
        assert app.screen.query_one("#set-kernel_size").value == 3
        assert shown(app, "y-0").tolist() == nn.MaxPool2d(3)(X)[0, 0].tolist()
