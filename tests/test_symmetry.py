"""The symmetry lesson driven by keys; maps and training compared with torch run here."""

import numpy as np
import torch
import torch.nn.functional as F
from conftest import goto_page, settle, shown, tab_to, text

from tutor.course.loader import bundled_folder, load_lesson
from tutor.engine.presets import PRESETS
from tutor.labs.training import trainer
from tutor.numbers import format_number
from tutor.widgets.tensor_grid import TensorGrid

LESSON = load_lesson(bundled_folder() / "symmetry.toml")
IMAGE = torch.tensor(LESSON.labs["features"].image, dtype=torch.float32)


def maps_of(kernels) -> torch.Tensor:
    weight = torch.tensor(np.array(kernels), dtype=torch.float32)[:, None]
    return F.conv2d(IMAGE[None, None], weight, padding=1)[0]






async def test_feature_maps_equal_kernels_and_reset(make_app):
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        presets = [PRESETS[name] for name in ("horizontal edge", "vertical edge", "blur")]
        expected = maps_of(presets)
        for channel in range(3):
            assert np.allclose(shown(app, f"y-{channel}"), expected[channel].numpy(), atol=1e-6)
        assert "distinct feature maps: 3 of 3" in text(app, "#distinct")
        await pilot.press("e")
        assert "distinct feature maps: 1 of 3" in text(app, "#distinct")
        assert np.array_equal(shown(app, "y-1"), shown(app, "y-0"))
        assert np.array_equal(shown(app, "w-2-0"), np.array(PRESETS["horizontal edge"], dtype=np.float32))
        await pilot.press("r")
        assert "distinct feature maps: 3 of 3" in text(app, "#distinct")


async def test_presets_and_edits_by_keys(make_app):
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await tab_to(app, pilot, "set-preset-2")
        await pilot.press("right")  # blur -> sharpen
        assert np.array_equal(shown(app, "w-2-0"), np.array(PRESETS["sharpen"], dtype=np.float32))
        assert np.allclose(shown(app, "y-2"), maps_of([PRESETS["sharpen"]])[0].numpy(), atol=1e-6)
        await tab_to(app, pilot, "w-0-0")
        await pilot.press("enter", *"abc", "enter")
        assert "not a number" in text(app, "#lab-status")
        await pilot.press("3", "enter")  # kernel 0, cell [0, 0]: -1 -> 3
        kernel = np.array(PRESETS["horizontal edge"], dtype=np.float32)
        kernel[0, 0] = 3
        assert np.allclose(shown(app, "y-0"), maps_of([kernel])[0].numpy(), atol=1e-6)
        assert app.screen.query_one("#set-preset-0").value == "custom"


async def test_a_map_cursor_shows_the_exact_value(make_app):
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await tab_to(app, pilot, "y-1")
        await pilot.press("down", "down", "right", "right", "right")
        value = maps_of([PRESETS["vertical edge"]])[0, 2, 3].item()
        grid = app.screen.query_one("#y-1", TensorGrid)
        assert grid.border_subtitle.startswith("[2, 3] = ")
        assert float(grid.border_subtitle.split("= ")[1]) == round(value, 4)


async def test_a_map_shows_its_cursors_value_while_focused_and_only_then(make_app):
    """Found by a learner: Tab onto a map showed nothing until an arrow, and the map left kept
    its value (the focus was read before Textual had changed it)."""
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await tab_to(app, pilot, "y-1")
        first, second = (app.screen.query_one(f"#y-{o}", TensorGrid) for o in (1, 2))
        value = maps_of([PRESETS["vertical edge"]])[0, 0, 0].item()
        assert first.border_subtitle.startswith("[0, 0] = ") and float(first.border_subtitle.split("= ")[1]) == round(value, 4)
        await tab_to(app, pilot, "y-2")
        assert second.border_subtitle.startswith("[0, 0] = ") and not first.border_subtitle


async def test_prediction_is_checked_against_the_run(make_app):
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        await pilot.press("c", "enter")
        await settle(app, pilot)
        card = app.screen.query_one("ExerciseCard")
        assert "not one of the choices" in str(card.query_one("#feedback").render())
        await pilot.press("backspace", "b", "enter")
        assert card.status == "wrong"
        await pilot.press("backspace", "a", "enter")
        assert card.status == "correct"
        assert "distinct hidden kernels at the end: 1 of 3" in str(card.query_one("#solution").render())


async def test_training_by_keys_equal_then_random(make_app):
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        lab = app.screen.query_one("#lab")
        await pilot.press("s", "s")
        assert lab.session.snapshot.step == 2 and "step 2" in text(app, "#train-status")
        assert "distinct hidden kernels: 1 of 3" in text(app, "#train-status")
        assert "gradients identical this step: yes" in text(app, "#train-status")
        reference = trainer(LESSON.labs["training"], init="equal")
        reference.step(2)
        assert np.array_equal(shown(app, "w-1-0"), reference.hidden.weight[1, 0].detach().numpy())
        assert np.array_equal(shown(app, "w-1-0"), shown(app, "w-2-0"))
        await tab_to(app, pilot, "set-init")
        await pilot.press("right")  # random: starts again
        assert lab.session.snapshot.step == 0
        await pilot.press(*["s"] * 5)
        assert "distinct hidden kernels: 3 of 3" in text(app, "#train-status")
        assert "gradients identical this step: no" in text(app, "#train-status")


async def test_keys_work_while_training_runs(make_app):
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        lab = app.screen.query_one("#lab")
        await pilot.press("space")
        assert lab.playing
        for _ in range(50):  # wait until the worker has delivered some steps
            await pilot.pause(0.05)
            if lab.session.snapshot.step > 0:
                break
        running_at = lab.session.snapshot.step
        assert running_at > 0
        await tab_to(app, pilot, "set-lr")  # keys are handled while the worker trains
        await pilot.press("right")
        assert lab.session.lr == 0.3 and lab.session.trainer.lr == 0.3
        await pilot.press("space")
        assert not lab.playing
        await pilot.pause(0.2)
        stopped_at = lab.session.snapshot.step
        await pilot.pause(0.3)
        assert lab.session.snapshot.step == stopped_at >= running_at


def test_shipped_seed_random_breaks_symmetry_and_ends_lower():
    lab = LESSON.labs["training"]
    equal, random = trainer(lab, init="equal"), trainer(lab, init="random")
    for _ in range(200):
        e, r = equal.step(), random.step()
        assert e.gradients_identical and e.distinct_kernels == 1
    assert r.distinct_kernels == 3 and r.losses[-1] < e.losses[-1]


async def test_training_at_80_columns_keeps_every_grid_inside_the_screen(make_app):
    """Gradients grow wider as training runs (more digits): their row wraps, never runs off."""
    app = make_app("symmetry")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 3)
        await tab_to(app, pilot, "set-init")
        await pilot.press("right")  # random init: gradients differ and have many digits
        await settle(app, pilot)
        for _ in range(3):
            await pilot.press("s")
        await settle(app, pilot)
        for grid in app.screen.query("TensorGrid"):
            assert grid.region.right <= 80, grid.id


async def test_a_diverging_loss_is_called_out_and_the_chart_has_a_scale(make_app):
    """lr 1.0 once ran the loss from 0.23 to 7.3 in silence; now the lab says so, and takes it
    back when training starts again. The chart says what its top and bottom are."""
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        lab = app.screen.query_one("#lab")
        await tab_to(app, pilot, "set-lr")
        await pilot.press(*["right"] * 4)
        assert lab.session.lr == 1.0
        await pilot.press(*["s"] * 30)
        await settle(app, pilot)
        losses = lab.session.snapshot.losses
        assert losses[-1] > losses[0]
        assert text(app, "#lab-status").startswith("The loss is growing") and "lr 1.0 is too large" in text(app, "#lab-status")
        assert text(app, "#loss-scale") == (f"loss, steps 1-30: top {format_number(max(losses))}, "
                                            f"bottom {format_number(min(losses))}")
        await pilot.press("r")
        await settle(app, pilot)
        assert "growing" not in text(app, "#lab-status")


async def test_the_help_says_what_space_does_in_the_training_lab(make_app):
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        await pilot.press("f1")
        await settle(app, pilot)
        rows = dict(app.screen.rows)
        assert rows["space"] == "Run or pause training" and "output cells" not in "\n".join(rows.values())
