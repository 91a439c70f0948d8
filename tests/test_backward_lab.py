"""The backward lesson driven by keys, as a learner would: stepping the unfolded columns, the
flip, typing an upstream gradient, switching which gradient is stepped, and the transposed
convolution's scatters and settings; what the grids show is compared with torch computed here."""

import numpy as np
import torch
import torch.nn.functional as F
from conftest import goto_page, settle, shown, tab_to, text
from torch import nn

from tutor.widgets.lab import LabView

PAGES = {"columns": 0, "matrix": 1, "gradients": 2, "flip": 3, "transposed": 4}
KERNEL_00 = [[0.1, 0.2], [-0.4, -0.5]]


async def test_the_highlighted_window_is_the_highlighted_column(make_app):
    app = make_app("backward")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, PAGES["columns"])
        for _ in range(4):  # output[0, 0, 1, 1]: window 4
            await pilot.press("n")
        await settle(app, pilot)
        lab = app.screen.query_one(LabView)
        columns = lab.grids[next(a for a in lab.grids if a.tensor == "col")]
        assert columns.window == {(i, 4) for i in range(8)}
        window = [row[1:3] for row in shown(app, "x-0")[1:3]] + [row[1:3] for row in shown(app, "x-1")[1:3]]
        assert shown(app, "col")[:, 4].tolist() == np.array(window).reshape(-1).tolist()
        assert text(app, "#steps").startswith("output[0, 0, 1, 1] = ")


async def test_a_swapped_unfold_shape_is_named(make_app):
    app = make_app("backward")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, PAGES["columns"])
        await pilot.press(*"[1, 9, 8]", "enter")
        await settle(app, pilot)
        assert "stands each window up as a column" in text(app, "#exercise-unfold-shape #feedback")
        await pilot.press("ctrl+a", "ctrl+k", *"1x8x9", "enter")
        await settle(app, pilot)
        assert "Correct" in text(app, "#exercise-unfold-shape #feedback")


async def test_the_flip_setting_shows_the_true_convolution_beside_nn_conv2d(make_app):
    app = make_app("backward")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, PAGES["flip"])
        stored = shown(app, "y-0")
        await tab_to(app, pilot, "set-kernel")
        await pilot.press("right")
        await settle(app, pilot)
        lab = app.screen.query_one(LabView)
        a, weight = torch.arange(32.0).reshape(1, 2, 4, 4), torch.from_numpy(lab.session.conv.weight)
        assert np.allclose(shown(app, "y-0"), F.conv2d(a, torch.flip(weight, (2, 3)))[0, 0].numpy(), atol=1e-4)
        assert np.allclose(shown(app, "other-0"), stored)
        assert np.allclose(shown(app, "w-0-0"), [[-0.5, -0.4], [0.2, 0.1]])
        await pilot.press("r")
        await settle(app, pilot)
        assert np.allclose(shown(app, "y-0"), stored) and not app.screen.query("#other-0")


async def test_an_upstream_gradient_typed_in_flows_back_as_autograd_says(make_app):
    app = make_app("backward")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, PAGES["gradients"])
        await tab_to(app, pilot, "dy-0")
        await pilot.press("3", "enter")
        await settle(app, pilot)
        before = shown(app, "gx-0")
        await pilot.press("down", "enter", *"1e999", "enter")  # junk: refused, nothing changes
        await settle(app, pilot)
        assert "too large" in text(app, "#lab-status") and np.array_equal(shown(app, "gx-0"), before)
        x = torch.arange(16.0).reshape(1, 1, 4, 4).requires_grad_(True)
        layer = nn.Conv2d(1, 1, 2)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor([[KERNEL_00]]))
        upstream = torch.ones(1, 1, 3, 3)
        upstream[0, 0, 0, 0] = 3
        layer(x).backward(upstream)
        assert np.allclose(shown(app, "gx-0"), x.grad[0, 0].numpy(), atol=1e-5)
        assert np.allclose(shown(app, "gw-0-0"), layer.weight.grad[0, 0].numpy(), atol=1e-4)


async def test_arrows_and_the_target_setting_choose_the_gradient_cell_stepped(make_app):
    app = make_app("backward")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, PAGES["gradients"])
        await tab_to(app, pilot, "gx-0")
        await pilot.press("down", "right")
        await settle(app, pilot)
        assert text(app, "#steps").startswith("a.grad[0, 0, 1, 1] = -0.6")
        await tab_to(app, pilot, "set-target")
        await pilot.press("right")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        steps = text(app, "#steps")
        assert steps.startswith("c.weight.grad[0, 0, 0, 1] = 54"), steps  # 1+2+3+5+6+7+9+10+11
        assert "= 54" in steps.splitlines()[-1]


async def test_the_scatters_add_up_to_conv_transpose2d_and_a_refused_setting_is_explained(make_app):
    app = make_app("backward")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, PAGES["transposed"])
        up = nn.ConvTranspose2d(1, 1, 3, stride=2, bias=False)
        with torch.no_grad():
            up.weight.fill_(1)
            expect = up(torch.tensor([[[[1.0, 2], [3, 4]]]]))[0, 0].numpy()
        assert not np.allclose(shown(app, "s-0"), expect)
        for _ in range(3):
            await pilot.press("n")
        await settle(app, pilot)
        assert np.allclose(shown(app, "s-0"), expect) and np.allclose(shown(app, "y-0"), expect)
        assert "sum equals t(x)" in text(app, "#steps")
        await tab_to(app, pilot, "set-output_padding")
        await pilot.press("right")
        await settle(app, pilot)
        assert shown(app, "y-0").shape == (6, 6)
        await pilot.press("right")
        await settle(app, pilot)
        assert "output_padding must be smaller than the stride" in text(app, "#lab-status")
        assert app.screen.query_one("#set-output_padding").value == 1 and shown(app, "y-0").shape == (6, 6)


async def test_a_refused_edit_is_scrolled_into_view_whole_at_80x24(make_app):
    app = make_app("backward")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, PAGES["matrix"])
        for _ in range(3):
            await pilot.press("n")
        await tab_to(app, pilot, "x-0")
        await pilot.press("enter", *"nan", "enter")
        await settle(app, pilot)
        status, page = app.screen.query_one("#lab-status"), app.screen.query_one("#page")
        assert "not a finite number" in text(app, "#lab-status")
        assert page.scrollable_content_region.contains_region(status.region)


async def test_a_burst_of_refused_steps_leaves_the_setting_showing_what_is_computed(make_app):
    """Found by a learner: Right three times in one burst on output_padding (stride 2) showed 2
    while the layer computed with 1: the refusal put back a `previous` that was already stale."""
    from textual import events

    app = make_app("backward")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, PAGES["transposed"])
        await tab_to(app, pilot, "set-output_padding")
        for _ in range(3):
            app.post_message(events.Key("right", None))
        await settle(app, pilot)
        await settle(app, pilot)
        lab = app.screen.query_one(LabView)
        assert app.screen.query_one("#set-output_padding").value == lab.session.settings()["output_padding"] == 1
        assert shown(app, "y-0").shape == (6, 6)
