"""The arithmetic playground and drill, driven by keys and compared with torch."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import goto_page, screen_text, settle, tab_to, text, torch_conv

from tutor.course.loader import bundled_folder, load_lesson
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid

LAB = load_lesson(bundled_folder() / "arithmetic.toml").labs["playground"]




def torch_shape(spec, shape):
    module = torch_conv(spec)
    return tuple(module(torch.zeros(shape)).shape)


async def choose(app, pilot, setting, presses):
    await tab_to(app, pilot, f"set-{setting}")
    await pilot.press(*presses)
    await settle(app, pilot)


async def test_every_preset_by_keys_gives_torchs_shape(make_app):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await tab_to(app, pilot, "set-preset")
        await pilot.press(*["left"] * 12)  # back to the first preset
        for preset in LAB.presets:
            stepper = app.screen.query_one("#set-preset", Stepper)
            if stepper.value != preset.name:
                await pilot.press("right")
                await settle(app, pilot)
            assert stepper.value == preset.name
            expected = torch_shape(preset.layer, preset.input_shape)
            assert f"output {list(expected)}" in text(app, "#arithmetic"), preset.name
            assert app.screen.query_one("#lab").session.output.shape == expected
    assert {p.name: torch_shape(p.layer, p.input_shape)[2:] for p in LAB.presets} == {
        "no padding, unit stride": (2, 2), "arbitrary padding": (6, 6), "half (same) padding": (5, 5),
        "full padding": (7, 7), "no padding, strides": (2, 2), "padding, strides": (3, 3),
        "padding, strides (odd)": (3, 3), "dilation": (3, 3), "CS231n demo": (3, 3)}


async def test_settings_formula_parameters_and_dropped_rows(make_app):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await choose(app, pilot, "padding", ["left"])  # padding 0: 5x5, k3, s2
        await choose(app, pilot, "height", ["right"])  # H 6: (6 - 2 - 1) / 2 = 1.5, rounded down
        arithmetic = text(app, "#arithmetic")
        assert "height: floor((6 + 2×0 - 1×(3 - 1) - 1) / 2) + 1 = 2  (3/2 = 1.5, rounded down)" in arithmetic
        assert "dropped: input rows [5]" in arithmetic
        grid = app.screen.query_one("#x-0", TensorGrid)
        assert {(5, c) for c in range(5)} <= grid.dropped and (4, 0) not in grid.dropped
        await choose(app, pilot, "bias", ["right"])
        assert "weight 1 × 1/1 × 3 × 3 = 9, + bias 1 = 10" in text(app, "#arithmetic")
        assert "sum(p.numel() for p in c.parameters()) = 10" in text(app, "#arithmetic")


async def test_dilated_window_has_gaps(make_app):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await choose(app, pilot, "preset", ["right", "right"])  # "padding, strides (odd)" -> "dilation"
        assert app.screen.query_one("#set-preset", Stepper).value == "dilation"
        await pilot.press("n")  # output [0, 0, 0, 1]: taps at columns 1, 3, 5
        window = app.screen.query_one("#x-0", TensorGrid).window
        assert window == {(r, c) for r in (0, 2, 4) for c in (1, 3, 5)}


@pytest.mark.parametrize("setting,presses,words", [
    ("groups", ["right"], "divisible by groups"),
    ("kernel_size", ["right", "right"], "kernel"),
])
async def test_rejected_settings_keep_the_last_good_state(make_app, setting, presses, words):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await choose(app, pilot, "padding", ["left"])
        await choose(app, pilot, "height", ["left", "left", "left"])  # H 2: no room for a big kernel
        before = app.screen.query_one("#lab").session.output.copy()
        await choose(app, pilot, setting, presses)
        assert words in text(app, "#lab-status") and "last good settings are kept" in text(app, "#lab-status")
        assert np.array_equal(app.screen.query_one("#lab").session.output, before)
        spec = app.screen.query_one("#lab").session.layer
        assert app.screen.query_one(f"#set-{setting}", Stepper).value == getattr(spec, setting)


async def test_same_padding_with_stride_is_refused(make_app):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await choose(app, pilot, "padding", ["right"] * 3)  # 1 -> 2 -> 3 -> "same", with stride 2
        status = text(app, "#lab-status")
        assert "padding='same' needs stride 1" in status and "'valid' is the next that works" in status
        assert app.screen.query_one("#lab").session.layer.padding == "valid"  # stepped over "same"
        await choose(app, pilot, "stride", ["left"])
        await choose(app, pilot, "padding", ["left"])
        assert app.screen.query_one("#lab").session.layer.padding == "same"
        assert app.screen.query_one("#lab").session.output.shape[2:] == (5, 5)


async def test_show_code_runs_in_python_and_saves(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await choose(app, pilot, "bias", ["right"])
        output = app.screen.query_one("#lab").session.output
        await pilot.press("c")
        assert type(app.screen).__name__ == "CodeScreen"
        await pilot.press("w", "w")
        await pilot.press("escape")
        assert type(app.screen).__name__ == "LessonScreen"
    saved = sorted(tmp_path.glob("cnn_tutor_playground*.py"))
    assert [p.name for p in saved] == ["cnn_tutor_playground-2.py", "cnn_tutor_playground.py"]
    code = saved[1].read_text() + "\nimport json\nprint(json.dumps(out.flatten().tolist()))\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    values = json.loads(run.stdout.strip().splitlines()[-1])
    assert np.allclose(values, output.flatten(), atol=1e-5)


async def test_drill_streak_and_solution(make_app):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        drill = app.screen.query_one("#drill")
        first = drill.question
        spec, shape = first.layer, first.input_shape
        module = torch_conv(spec)
        right = (str(list(module(torch.zeros(shape)).shape)) if first.expected.kind == "shape"
                 else str(sum(p.numel() for p in module.parameters())))
        await pilot.press(*right, "enter")
        await settle(app, pilot)
        assert drill.streak == 1 and drill.question is not first and drill.asked == 2
        await pilot.press(*"999999", "enter")
        await settle(app, pilot)
        assert drill.streak == 0 and drill.best == 1
        assert "Worked solution" in text(app, "#drill-solution")
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert drill.asked == 3


async def test_a_setting_and_a_reset_pressed_together_rebuild_one_at_a_time(make_app):
    """Found by a learner: Right and r in one burst rebuilt the lab twice at once (duplicate ids,
    a crash). Now they queue; the lab ends as the last key left it, and is torch's."""
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await tab_to(app, pilot, "set-preset")
        from textual import events

        for key, character in [("right", None), ("r", "r"), ("right", None), ("n", "n"), ("r", "r")] * 3:
            app.post_message(events.Key(key, character))  # a burst: no pause between the keys
        await settle(app, pilot)
        await settle(app, pilot)
        lab = app.screen.query_one("#lab")
        layer, shape = lab.session.layer, lab.session.x.shape
        assert text(app, "#arithmetic").startswith(f"c = {layer.call()}")  # what is shown is what is in use
        assert f"output {list(torch_shape(layer, shape))}" in text(app, "#arithmetic")
        assert len(app.screen.query("#arithmetic")) == 1 and len(app.screen.query("#steps")) == 1
        channels = layer.out_channels if lab.layout_choice == "all" else 1  # else the one stepped through
        assert len(app.screen.query(TensorGrid)) == shape[1] + channels * (1 + layer.in_channels // layer.groups)


async def test_keys_in_a_burst_act_in_order_on_what_is_computed(make_app):
    """Found by a learner (tmux send-keys): `r Right` three times left H at 8, not 6 (the resets
    were lost), and `Right r` on bias left bias=True. A key is acted on in the order pressed, and
    a setting's key steps from the value in use."""
    from textual import events

    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await tab_to(app, pilot, "set-height")
        lab = app.screen.query_one("#lab")
        height = lab.session.x.shape[2]
        for key, character in [("r", "r"), ("right", None)] * 3:
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        await settle(app, pilot)
        stepper = app.screen.query_one("#set-height")
        assert lab.session.x.shape[2] == stepper.value == stepper.choices[stepper.choices.index(height) + 1]
        await tab_to(app, pilot, "set-bias")
        bias = lab.session.layer.bias
        for key, character in [("right", None), ("r", "r")]:
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        await settle(app, pilot)
        assert lab.session.layer.bias == bias == app.screen.query_one("#set-bias").value
        await tab_to(app, pilot, "set-preset")  # found by a learner: the Right after an r was lost
        await pilot.press("r")
        await settle(app, pilot)
        start = lab.session.preset_name()  # the lesson's
        for key, character in [("right", None)] * 3 + [("r", "r"), ("right", None)]:
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        await settle(app, pilot)
        stepper = app.screen.query_one("#set-preset")
        after = stepper.choices[stepper.choices.index(start) + 1]
        assert (lab.session.preset_name(), stepper.value) == (after, after)


async def test_a_refused_value_is_stepped_over_to_the_next_that_torch_accepts(make_app):
    """in = out = 4: groups 3 is refused, so → from 2 goes on to 4, and says why."""
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        for name in ("in_channels", "out_channels"):
            await tab_to(app, pilot, f"set-{name}")
            await pilot.press("right", "right", "right")
            await settle(app, pilot)
        await tab_to(app, pilot, "set-groups")
        await pilot.press("right")
        await settle(app, pilot)
        assert app.screen.query_one("#set-groups", Stepper).value == 2
        await pilot.press("right")
        await settle(app, pilot)
        assert app.screen.query_one("#set-groups", Stepper).value == 4
        assert app.screen.query_one("#lab").session.layer.groups == 4
        status = text(app, "#lab-status")
        assert "groups=3 is refused" in status and "4 is the next that works" in status


async def test_the_drill_scores_skips_and_misses_and_keeps_them(make_app, tutor_home):
    """A skip ends the streak; after a miss the solution is shown and that question no longer
    scores; the score is saved and shown on the results page, and is there after a restart."""
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        drill = app.screen.query_one("#drill")
        await pilot.press(*drill_answer(drill.question), "enter")
        await settle(app, pilot)
        assert (drill.record.right, drill.streak) == (1, 1)
        await pilot.press("ctrl+n")  # the second question, unanswered: a skip
        await settle(app, pilot)
        assert (drill.record.skipped, drill.streak, drill.best) == (1, 0, 1)
        assert "Skipped: the streak starts again." in text(app, "#drill-feedback")
        await pilot.press(*"999999", "enter")
        await settle(app, pilot)
        right = drill_answer(drill.question)
        await pilot.press("ctrl+a", "ctrl+k", *right, "enter")  # with the solution on screen
        await settle(app, pilot)
        assert "not scored" in text(app, "#drill-feedback")
        assert (drill.record.right, drill.record.missed, drill.streak) == (1, 1, 0)
        await pilot.press("ctrl+n")  # after a miss: the next question, not a skip
        await settle(app, pilot)
        assert drill.record.skipped == 1
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert "Drill: 3 asked, 1 right, 1 missed, 1 skipped · streak 0 · best 1" in "\n".join(screen_text(app))
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        assert app.screen.query_one("#drill").border_title == "Drill: streak 0 · best 1"


def drill_answer(question) -> str:
    """The drill question's answer, from a torch module built for it here."""
    module = torch_conv(question.layer)
    if question.expected.kind == "shape":
        return str(list(module(torch.zeros(question.input_shape)).shape))
    return str(sum(p.numel() for p in module.parameters()))


async def test_same_padding_with_an_even_kernel_draws_torchs_split(make_app):
    """k=4, padding='same': torch pads 3 cells a side, 1 before and 2 after; the input is drawn so,
    every window is torch's, and 'same' is reachable (torch refuses it at stride 2: 'valid' is next)."""
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 0)
        await choose(app, pilot, "padding", ["right"] * 3)  # 1 -> 2, 3, then 'same' (refused at stride 2)
        assert app.screen.query_one("#set-padding", Stepper).value == "valid"
        await choose(app, pilot, "stride", ["left"])
        await choose(app, pilot, "kernel_size", ["right"])
        await choose(app, pilot, "padding", ["left"])
        lab = app.screen.query_one("#lab")
        assert lab.session.layer.padding == "same" and lab.session.layer.kernel_size == 4
        grid = app.screen.query_one("#x-0", TensorGrid)
        assert (grid.pad, grid.after) == (1, 2) and grid.full_size == (8, 8)
        assert "1 before and 2 after" in text(app, "#input-heading")
        x = torch.from_numpy(lab.session.x)
        expected = torch.nn.functional.conv2d(x, torch.from_numpy(lab.session.weight), padding="same")
        assert np.allclose(lab.session.output, expected.numpy(), atol=1e-5)
        await pilot.press("n")  # output (0, 1): rows -1 to 2 (a padding row above), columns 0 to 3
        await settle(app, pilot)
        assert grid.window == {(r, c) for r in range(-1, 3) for c in range(0, 4)}
