"""The convolution lab driven by keys, compared with nn.Conv2d computed here, independently."""

import re

import numpy as np
import pytest
import torch
from conftest import (
    goto_page,
    grid,
    screen_text,
    settle,
    shown,
    tab_to,
    write_conv_lesson,
)
from torch import nn

from tutor.labs.session import Address
from tutor.numbers import column_format, fixed

LAB_PAGE = 3  # "Under the hood, live": every part shown


def notebook_conv() -> nn.Conv2d:
    torch.manual_seed(0)
    c = nn.Conv2d(in_channels=2, out_channels=3, kernel_size=2, bias=False)
    with torch.no_grad():
        c.weight[0, 0] = torch.tensor([[0.1, 0.2], [-0.4, -0.5]])
        c.weight[0, 1] = torch.tensor([[0.4, 0.3], [-0.42, -0.45]])
    return c


A = torch.arange(32).reshape(1, 2, 4, 4).float()


async def open_lab(app, pilot):
    await goto_page(app, pilot, LAB_PAGE)
    return app.screen.query_one("#lab")






def steps_text(app) -> str:
    return str(app.screen.query_one("#steps").render())


async def test_lab_shows_what_nn_conv2d_computes(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        c = notebook_conv()
        with torch.no_grad():
            out = c(A)
        assert out.shape == (1, 3, 3, 3)
        for o in range(3):
            assert np.array_equal(shown(app, f"y-{o}"), out[0, o].numpy())
            for i in range(2):
                assert np.array_equal(shown(app, f"w-{o}-{i}"), c.weight[o, i].detach().numpy())
        assert np.array_equal(shown(app, "x-1"), A[0, 1].numpy())


async def test_first_cell_arithmetic_is_written_out(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        text = steps_text(app)
        assert "output[0, 0, 0, 0] = -10.25" in text
        assert "0×0.1 + 1×0.2 + 4×(-0.4) + 5×(-0.5) = -3.9" in text
        assert "16×0.40 + 17×0.30 + 20×(-0.42) + 21×(-0.45) = -6.35" in text  # as the kernel writes them
        assert "(-3.90) + (-6.35) = -10.25" in text  # subtotals as the output map writes numbers
        assert grid(app, "x-0").window == {(0, 0), (0, 1), (1, 0), (1, 1)}
        assert grid(app, "w-0-1").window and not grid(app, "w-1-0").window


async def test_n_and_p_step_the_window_through_every_output_cell(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        with torch.no_grad():
            out = notebook_conv()(A)
        await pilot.press("n")
        assert "output[0, 0, 0, 1] = -11.02" in steps_text(app)
        assert "1×0.1 + 2×0.2 + 5×(-0.4) + 6×(-0.5)" in steps_text(app)
        assert grid(app, "x-0").window == {(0, 1), (0, 2), (1, 1), (1, 2)}
        await pilot.press("p", "p")  # back past the first cell wraps to the last
        assert "output[0, 2, 2, 2]" in steps_text(app)
        assert grid(app, "x-1").window == {(2, 2), (2, 3), (3, 2), (3, 3)}
        assert grid(app, "y-2").window == {(2, 2)} and not grid(app, "y-0").window
        await pilot.press("n")
        for flat in range(27):
            o, r, c = flat // 9, flat // 3 % 3, flat % 3
            header = steps_text(app).splitlines()[0]
            assert header.startswith(f"output[0, {o}, {r}, {c}] = ")
            shown_sum = float(re.split("[=≈]", steps_text(app).splitlines()[-1])[-1])
            assert shown_sum == pytest.approx(float(out[0, o, r, c]), abs=5e-5)
            await pilot.press("n")


async def test_arrows_on_an_output_grid_pick_the_cell(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "y-1")
        await pilot.press("down", "right")
        assert steps_text(app).startswith("output[0, 1, 1, 1]")


async def test_editing_a_kernel_by_keys_recomputes_through_conv2d(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "w-0-0")
        await pilot.press("right", "down")  # kernel (0, 0) cell [1, 1], which holds -0.5
        await pilot.press(*"2.5", "enter")
        c = notebook_conv()
        with torch.no_grad():
            c.weight[0, 0, 1, 1] = 2.5
            out = c(A)
        assert shown(app, "w-0-0")[1, 1] == 2.5
        assert np.array_equal(shown(app, "y-0"), out[0, 0].numpy())
        assert "5×2.5" in steps_text(app)
        assert "c.weight[0, 0, 1, 1] = 2.5" in str(app.screen.query_one("#lab-status").render())
        await pilot.press("r")  # reset restores the lesson's values
        with torch.no_grad():
            assert np.array_equal(shown(app, "y-0"), notebook_conv()(A)[0, 0].numpy())


async def test_editing_the_input_recomputes(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "x-1")
        await pilot.press("enter", "-", "1", "enter")
        a = A.clone()
        a[0, 1, 0, 0] = -1
        with torch.no_grad():
            out = notebook_conv()(a)
        for o in range(3):
            assert np.array_equal(shown(app, f"y-{o}"), out[0, o].numpy())


@pytest.mark.parametrize(
    "typed,reason",
    [
        ("abc", "not a number"),
        ("", "Nothing was typed"),
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
        ("1e999", "overflows to infinity"),
        ("1" * 100, "characters long"),
        ("99999", "out of range"),
    ],
)
async def test_bad_cell_input_keeps_the_value_and_says_why(make_app, typed, reason):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "w-0-0")
        before_w, before_y = shown(app, "w-0-0"), shown(app, "y-0")
        await pilot.press("enter", *typed, "enter")
        status = app.screen.query_one("#lab-status")
        assert reason in str(status.render())
        assert status.has_class("-error")
        assert np.array_equal(shown(app, "w-0-0"), before_w)
        assert np.array_equal(shown(app, "y-0"), before_y)
        await pilot.press("escape")  # not editing any more: Esc leaves the lesson
        assert app.screen.__class__.__name__ == "HomeScreen"


async def test_escape_cancels_an_edit(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "x-0")
        await pilot.press("7", "escape")
        assert shown(app, "x-0")[0, 0] == 0
        assert grid(app, "x-0").editing is None
        assert app.screen.__class__.__name__ == "LessonScreen"


async def test_a_number_longer_than_its_cell_shows_whole_under_the_grid_while_it_is_typed(make_app):
    """The cell shows the end of what is typed (``12.75`` in a 4-character cell reads ``75▏``):
    the grid's bottom border shows all of it, until the edit is committed or cancelled."""
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "x-0")
        await pilot.press("enter", *"12.7")
        await pilot.pause()
        assert any("typing 12.7" in row for row in screen_text(app))
        await pilot.press("5", "escape")
        await pilot.pause()
        assert not any("typing" in row for row in screen_text(app)) and shown(app, "x-0")[0, 0] == 0
        await pilot.press("enter", *"12.75", "enter")
        await pilot.pause()
        assert not any("typing" in row for row in screen_text(app)) and shown(app, "x-0")[0, 0] == 12.75


async def test_a_narrow_grid_shows_as_much_of_a_typed_number_as_fits_under_it(make_app):
    """Under a 2x2 kernel (14 columns at 120x40) ``typing -12.75`` does not fit: the number does,
    whole, sign first; longer, its end, after an ellipsis (never a part that reads as a number)."""
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "w-0-0")
        await pilot.press("enter", *"-12.75")
        await pilot.pause()
        assert any("─ -12.75 ─╯" in row for row in screen_text(app))
        await pilot.press(*"34567")
        await pilot.pause()
        notes = [row.split("…")[1].split()[0] for row in screen_text(app) if "─ …" in row]
        assert len(notes) == 1 and "-12.7534567".endswith(notes[0]) and len(notes[0]) >= 5


async def test_a_kernel_an_edit_widens_wraps_its_row_rather_than_run_off_the_page(make_app):
    """At 120x40 the six kernels share a line; -12.75 widens kernel (0, 0), and the last pair
    of kernels goes to the next line (it was measured by its group's old arrangement, and ran
    off the right edge)."""
    from tutor.widgets.tensor_grid import TensorGrid

    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "w-0-0")
        await pilot.press("enter", *"-12.75", "enter")
        await settle(app, pilot)
        right = app.screen.query_one("#page").scrollable_content_region.right
        assert grid(app, "w-0-0").values[0][0] == -12.75
        assert all(shown.region.right <= right for shown in app.screen.query(TensorGrid))


async def test_output_grids_are_read_only(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "y-0")
        before = shown(app, "y-0")
        await pilot.press("5", "enter")
        assert np.array_equal(shown(app, "y-0"), before)


async def test_space_plays_and_pauses(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        lab = await open_lab(app, pilot)
        await pilot.press("space")
        assert lab.playing
        for _ in range(50):  # the player steps every PLAY_SECONDS; wait up to 5 s for it
            if not steps_text(app).startswith("output[0, 0, 0, 0]"):
                break
            await pilot.pause(0.1)
        assert steps_text(app).startswith("output[0, 0, 0, 1]")
        await pilot.press("space")
        assert not lab.playing
        paused_at = steps_text(app)
        await pilot.pause(lab.PLAY_SECONDS * 2)
        assert steps_text(app) == paused_at


async def test_the_screen_shows_only_the_current_window(make_app):
    """Rows are repainted one by one as the window moves: no stale highlight may stay behind."""
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        for flat in range(28):
            await pilot.pause()
            screen = "\n".join(line for line in screen_text(app) if "│" in line)  # grid rows only
            # 4 window cells in each input channel, both kernels of the output channel, one output cell
            assert screen.count("‹") == 4 * 2 + 4 * 2 + 1, f"step {flat}"
            o, r, c = flat % 27 // 9, flat % 9 // 3, flat % 3
            channel = notebook_conv()(A).detach()[0, o]
            value = fixed(float(channel[r, c]), column_format(channel.numpy())[1])  # as its grid writes it
            assert f"‹{value}›" in screen.replace(" ", ""), f"step {flat}"
            await pilot.press("n")


async def test_hostile_text_pasted_into_a_cell_is_refused_or_read_as_a_number(make_app):
    """Every hostile text, pasted as a terminal pastes it: a number, or a message and no change."""
    from test_exercises import HOSTILE
    from textual import events

    from tutor.numbers import NumberError, parse_number

    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "w-0-0")
        cell = grid(app, "w-0-0")
        for text in HOSTILE:
            before_w, before_y = shown(app, "w-0-0"), shown(app, "y-0")
            await pilot.press("enter")
            cell.post_message(events.Paste(text))
            await pilot.press("enter")
            await pilot.pause()
            status = app.screen.query_one("#lab-status")
            try:
                value = parse_number("".join(ch for ch in text if ch.isprintable()), limit=9999)
            except NumberError:
                assert status.has_class("-error"), repr(text)
                assert np.array_equal(shown(app, "w-0-0"), before_w), repr(text)
                assert np.array_equal(shown(app, "y-0"), before_y), repr(text)
            else:
                assert shown(app, "w-0-0")[0, 0] == value, repr(text)
            assert cell.editing is None
            assert not any("\x1b" in row or "\x07" in row for row in screen_text(app))
        await pilot.press("enter", "5", "enter")  # and the cell still takes a number
        assert shown(app, "w-0-0")[0, 0] == 5


async def test_a_committed_edit_leaves_no_caret_on_screen(make_app):
    """The committed cell is drawn with the recomputed outputs; typing the value it already has
    (nothing recomputes) also clears the edit from the screen."""
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "w-0-0")
        for typed in ("7", "7", "0.1"):
            await pilot.press("enter", *typed, "enter")
            await pilot.pause()
            screen = "\n".join(screen_text(app))
            assert f"{typed}▏" not in screen, typed
            # the cursor cell shows the committed value, with as many decimals as its grid's others
            assert re.search(rf"\[ *{re.escape(typed)}\.?0*\]", screen), typed
        assert shown(app, "y-0")[0, 0] == pytest.approx(-10.25, abs=1e-5)  # the lesson's kernel again


async def test_reset_narrows_the_cells_an_edit_widened(make_app):
    """While editing, cells never narrow (the page does not jump); r brings the lesson's values
    back, and with them the lesson's cell width."""
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        before = grid(app, "x-0").cell_width
        await tab_to(app, pilot, "x-0")
        await pilot.press(*"-1234.5", "enter")
        await settle(app, pilot)
        assert grid(app, "x-0").cell_width > before
        await pilot.press("r")
        await settle(app, pilot)
        assert grid(app, "x-0").cell_width == before


async def test_a_new_theme_repaints_every_cell(make_app):
    """Cells are drawn once and kept (a step redraws rows): a new theme must draw them anew."""
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        shown_grid = grid(app, "x-0")
        before = list(shown_grid.render_line(1))
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(app, pilot)
        after = list(shown_grid.render_line(1))
        assert after != before
        shown_grid._forget_cells()  # what the grid draws with nothing kept
        assert list(shown_grid.render_line(1)) == after


async def test_a_full_round_of_steps_comes_back_to_the_same_screen(make_app):
    """At 80x24 one output channel is shown at a time: its kernels and map are the next
    channel's when the step moves on, written as wide as their own numbers need, so that a step
    looks the same whatever channels came before it."""
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lab(app, pilot)
        await pilot.press("n", "p")
        await settle(app, pilot)
        first = [line for line in screen_text(app) if "│" in line]
        for _ in range(27):
            await pilot.press("n")
        await settle(app, pilot)
        assert [line for line in screen_text(app) if "│" in line] == first


async def test_a_new_layout_after_a_resize_keeps_the_learners_grid_and_cell(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "x-1")
        await pilot.press("right", "down")
        await pilot.resize_terminal(120, 40)  # another layout: every output channel's kernels
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert app.focused is grid(app, "x-1") and grid(app, "x-1").cursor == (1, 1)


def write_wide_lesson(folder) -> None:
    """Lesson "wide": six input channels, more than the arithmetic writes out."""
    write_conv_lesson(folder, "wide", [1, 6, 7, 7], "in_channels = 6, out_channels = 2, kernel_size = 3")


async def test_an_input_of_many_channels_is_shown_one_channel_at_a_time(make_app, tmp_path):
    """Six input channels: one is shown, with the kernels that read it and its products written
    out; the learner picks another with the input channel setting, and edits it; the output is
    nn.Conv2d's (computed here) throughout."""
    write_wide_lesson(tmp_path)
    app = make_app("wide", folder=tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        lab = app.screen.query_one("#lab")
        session = lab.session

        def conv() -> torch.Tensor:
            c = nn.Conv2d(6, 2, 3)
            with torch.no_grad():
                c.weight.copy_(torch.tensor(session.weight))
                c.bias.copy_(torch.tensor(session.bias))
                return c(torch.tensor(session.x))

        def inputs() -> list[Address]:
            return [g.address for g in app.screen.query("#inputs TensorGrid")]

        assert inputs() == [Address("x", (0,))]
        assert [g.address for g in app.screen.query("#kernels TensorGrid")] == [Address("w", (0, 0)), Address("w", (1, 0))]
        await pilot.press("n")
        text = steps_text(app)
        assert "in 0:  " in text and "in 1-5:  5 more input channels" in text
        assert f"= {fixed(float(conv()[0, 0, 0, 1]), column_format(shown(app, 'y-0'))[1])}" in text

        await tab_to(app, pilot, "input-channel")
        await pilot.press("right", "right")  # in a burst: each steps from the channel shown
        await settle(app, pilot)
        grids = app.screen.query("#lab TensorGrid")
        assert [g.address for g in grids if g.address.tensor in "xw"] == [
            Address("x", (2,)), Address("w", (0, 2)), Address("w", (1, 2))]
        np.testing.assert_array_equal(shown(app, "x-shown"), np.asarray(session.x[0, 2], dtype=np.float32))
        text = steps_text(app)
        window = torch.tensor(session.x)[0, 2, 0:3, 1:4] * torch.tensor(session.weight)[0, 2]
        assert "in 2:  " in text and "in 0-1, 3-5:  5 more" in text
        assert f"= {fixed(float(window.sum()), column_format(shown(app, 'y-0'))[1])}" in text.split("in 0-1")[0]
        assert app.focused.id == "input-channel"  # the learner's place is kept

        for _ in range(6):  # past the last channel: it stays there
            await pilot.press("right")
        await settle(app, pilot)
        assert inputs() == [Address("x", (5,))] and app.focused.id == "input-channel"

        await tab_to(app, pilot, "x-shown")
        await pilot.press("7", "enter")
        await settle(app, pilot)
        assert session.x[0, 5, 0, 0] == 7
        np.testing.assert_allclose(shown(app, "y-0"), conv()[0, 0].detach().numpy(), atol=1e-4)


async def test_a_new_layout_after_a_resize_keeps_the_focus_on_the_input_channel_setting(make_app, tmp_path):
    """Found by a learner: at the input channel setting, a resize that laid the lab out again
    left the focus nowhere, and the next arrow did nothing."""
    write_wide_lesson(tmp_path)
    app = make_app("wide", folder=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await tab_to(app, pilot, "input-channel")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert app.focused is not None and app.focused.id == "input-channel"
        await pilot.press("right")
        await settle(app, pilot)
        assert [g.address for g in app.screen.query("#inputs TensorGrid")] == [Address("x", (1,))]


async def test_an_arrow_then_enter_typed_fast_edits_the_cell_the_arrow_moved_to(make_app):
    """Found by a learner (tmux send-keys "Right Enter"): the edit opened on the old cell."""
    from textual import events

    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lab(app, pilot)
        await tab_to(app, pilot, "x-0")
        for key, character in (("right", None), ("enter", "\r"), ("9", "9"), ("enter", "\r")):
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        assert shown(app, "x-0")[0, :2].tolist() == [0, 9]


async def test_a_grid_focused_with_its_cursor_out_of_view_edits_a_cell_in_view(make_app, tmp_path):
    """Found by a learner at 80x24: the input's view had followed the window down, the cursor
    stayed at (0, 0), out of view, and Enter edited a cell nobody could see."""
    write_wide_lesson(tmp_path)
    app = make_app("wide", folder=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for _ in range(11):
            await pilot.press("n")
        await settle(app, pilot)
        x = grid(app, "x-shown")
        top, rows = x.view[0], x.view_size[0]
        assert top > 0, "the view followed the window down"
        await tab_to(app, pilot, "x-shown")
        row, col = x.cursor
        assert top <= row < top + rows
        await pilot.press("5", "enter")
        await settle(app, pilot)
        assert app.screen.query_one("#lab").session.x[0, 0, row, col] == 5
