"""The first-cnn lesson: a whole small CNN on the UCI digits. Its ledger, parameters, receptive
fields and training against torch computed here; the data file; the lesson's pages by keys."""

import contextlib
import io
import re

import numpy as np
import pytest
import torch
from conftest import goto_page, grid, screen_text, settle, tab_to, text
from torch import nn

from tutor.course.datasets import DatasetError, load_dataset
from tutor.course.loader import LessonError, bundled_folder, load_lesson
from tutor.engine import network
from tutor.engine.classifier import Classifier
from tutor.labs.expected import expected
from tutor.labs.network import NetworkSession
from tutor.numbers import format_number

LESSON = load_lesson(bundled_folder() / "first-cnn.toml")
LAB = LESSON.labs["digits"]
DATA = bundled_folder() / "data" / "digits.npz"
EXERCISES = {exercise.id: exercise for page in LESSON.pages for exercise in page.exercises}
LEDGER, SHARING, FIELD, TRAINING, CANVAS = 0, 3, 4, 5, 6


def reference_net() -> nn.Sequential:
    """The lesson's net, written out here as a learner would."""
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))


# --- the data ----------------------------------------------------------------------------------
def test_the_digits_file_is_the_uci_set_with_a_fixed_split():
    data = load_dataset(DATA)
    assert data.images.shape == (1797, 8, 8) and data.peak == 16 and data.classes == 10
    assert np.bincount(data.labels).min() >= 170  # about 180 of each digit
    assert len(data.train) + len(data.test) == 1797 and not np.intersect1d(data.train, data.test).size
    with np.load(DATA, allow_pickle=False) as archive:  # plain arrays: no pickle needed to read it
        assert sorted(archive.files) == ["images", "labels", "test", "train"]


@pytest.mark.parametrize(("arrays", "message"), [
    ({"images": np.zeros((4, 8, 8), np.uint8)}, "no array named labels, test, train"),
    ({"images": np.ones((4, 8, 8), np.uint8), "labels": np.zeros(3, np.uint8), "train": np.arange(2),
      "test": np.arange(2, 4)}, "labels must be one per image"),
    ({"images": np.ones((4, 8, 8), np.uint8), "labels": np.zeros(4, np.uint8), "train": np.arange(3),
      "test": np.arange(2, 4)}, "train and test share images"),
    ({"images": np.ones((4, 8, 8), np.float32), "labels": np.zeros(4, np.uint8), "train": np.arange(2),
      "test": np.arange(2, 4)}, "images must hold whole numbers"),
    ({"images": np.ones((4, 8, 8), np.uint8), "labels": np.zeros(4, np.uint8), "train": np.arange(2),
      "test": np.array([2, 9])}, "test lists an image that is not there"),
])
def test_a_bad_data_file_is_refused_with_its_reason(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetError, match=message):
        load_dataset(path)


def test_a_data_file_that_needs_pickle_or_is_not_a_zip_is_refused(tmp_path):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, images=np.array([{"a": 1}], dtype=object), labels=np.zeros(1), train=np.zeros(1),
             test=np.zeros(1))
    with pytest.raises(DatasetError, match="cannot be read"):
        load_dataset(pickled)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x1b[31mnot a zip")
    with pytest.raises(DatasetError, match="cannot be read"):
        load_dataset(junk)


# --- the lesson format -------------------------------------------------------------------------
NET = """
id = "net"
title = "t"
summary = "s"
[labs.n]
kind = "network"
dataset = "{dataset}"
layers = [{layers}]
[[pages]]
title = "p"
lab = "n"
show = ["ledger"]
"""
GOOD = '{ type = "Conv2d", in_channels = 1, out_channels = 2, kernel_size = 3 }, { type = "Flatten" }, ' \
       '{ type = "Linear", out_features = 10 }'


@pytest.mark.parametrize(("dataset", "layers", "problem"), [
    ("digits", GOOD, None),
    ("nope", GOOD, "no data set named 'nope'"),
    ("../etc", GOOD, "must be a data set's name"),
    ("digits", '{ type = "Conv2d", in_channels = 3, out_channels = 2, kernel_size = 3 }', "the layer before gives 1"),
    ("digits", '{ type = "Linear", out_features = 10 }', "put Flatten before it"),
    ("digits", '{ type = "Flatten" }, { type = "MaxPool2d", kernel_size = 2 }', "put Flatten before it"),
    ("digits", '{ type = "Dropout" }', "unknown layer type"),
    ("digits", "", "needs 1 to 16 layers"),
])
def test_a_network_lab_names_its_data_and_chains_its_layers(tmp_path, dataset, layers, problem):
    path = tmp_path / "net.toml"
    path.write_text(NET.format(dataset=dataset, layers=layers))
    if problem is None:
        assert load_lesson(path).labs["n"].data == DATA
        return
    with pytest.raises(LessonError) as error:
        load_lesson(path)
    assert problem in str(error.value)


def test_a_network_page_shows_a_network_part(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(NET.format(dataset="digits", layers=GOOD).replace('show = ["ledger"]', 'show = ["input"]'))
    with pytest.raises(LessonError, match="a network lab's page shows some of: ledger, sharing"):
        load_lesson(path)


def test_a_lessons_own_data_folder_comes_first(tmp_path):
    (tmp_path / "data").mkdir()
    own = tmp_path / "data" / "digits.npz"
    own.write_bytes(DATA.read_bytes())
    path = tmp_path / "net.toml"
    path.write_text(NET.format(dataset="digits", layers=GOOD))
    assert load_lesson(path).labs["n"].data == own


# --- the net, against torch ----------------------------------------------------------------------
def test_the_ledger_is_what_torch_gives_a_batch_of_32():
    net, shapes = reference_net(), []
    x = torch.zeros(32, 1, 8, 8)
    for layer in net:
        x = layer(x)
        shapes.append(tuple(x.shape))
    session = NetworkSession(LAB)
    assert [row.output_shape for row in session.rows] == shapes
    assert [row.parameters for row in session.rows] == [sum(p.numel() for p in layer.parameters()) for layer in net]
    assert session.total_parameters() == sum(p.numel() for p in net.parameters()) == 1898
    assert session.in_features() == 64


def test_the_fully_connected_net_of_the_same_sizes_is_counted_by_torch():
    session = NetworkSession(LAB)
    sizes = [(64, 512), (128, 256), (64, 10)]  # 1x8x8 -> 8x8x8; 8x4x4 -> 16x4x4; 64 -> 10
    assert [n for n in session.dense_parameters() if n] == [sum(p.numel() for p in nn.Linear(*s).parameters())
                                                            for s in sizes]


def test_every_receptive_field_is_autograds_and_the_formulas():
    """For every layer with windows and every cell: the engine's field is the formula's box cut
    to the image, and the real net's own input gradient (here, on a random positive image) is
    never non-zero outside it."""
    session, net = NetworkSession(LAB), reference_net()
    image = torch.rand(1, 1, 8, 8) + 0.1
    for index in session.field_layers():
        field = network.field_formula(session.specs, index)[-1]
        _, channels, rows, cols = session.rows[index].output_shape
        for r in range(rows):
            for c in range(cols):
                mask, _ = session.field(index, (0, r, c))
                box_rows, box_cols = field.box(r, c, 8, 8)
                expected_mask = np.zeros((8, 8), bool)
                expected_mask[box_rows.start:box_rows.stop, box_cols.start:box_cols.stop] = True
                assert np.array_equal(mask, expected_mask), (index, r, c)
                x = image.clone().requires_grad_(True)
                net[:index + 1](x)[0, :, r, c].sum().backward()
                assert not (x.grad[0, 0].numpy() != 0)[~mask].any(), (index, r, c)
    assert network.field_formula(session.specs, 3)[-1].size == 8


def test_training_with_the_lessons_seed_reaches_97_percent():
    data = load_dataset(DATA)
    trainer = Classifier(NetworkSession(LAB).specs, data.images, data.labels, data.train, data.test, peak=16,
                         seed=LAB.seed, lr=LAB.lr, batch_size=LAB.batch_size, optimizer=LAB.optimizer)
    progress = trainer.train(8 * trainer.batches_per_epoch)
    assert progress.epoch == 8 and progress.accuracy >= 0.97, progress.accuracies
    with torch.no_grad():  # the confusion matrix, counted here from the net's own answers
        answers = trainer.net(torch.from_numpy(data.images[data.test]).float()[:, None] / 16).argmax(1).numpy()
    counted = np.zeros((10, 10), int)
    np.add.at(counted, (data.labels[data.test], answers), 1)
    assert np.array_equal(progress.confusion, counted)
    assert progress.accuracy == pytest.approx(np.trace(counted) / len(data.test))


def test_the_code_shown_prints_what_the_lab_computes(monkeypatch, tmp_path):
    session = NetworkSession(LAB)
    code = session.code(epochs=2)
    assert "torch.optim.Adam" in code and "DataLoader" in code and "nn.CrossEntropyLoss()" in code
    monkeypatch.chdir(tmp_path)  # saved anywhere, the script finds its data
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "first_cnn.py", "exec"), {})
    progress = session.trainer().train(2 * session.trainer().batches_per_epoch)
    lines = printed.getvalue().splitlines()
    assert lines == [f"epoch {e + 1}: loss {progress.losses[(e + 1) * session.trainer().batches_per_epoch - 1]:.4f}, "
                     f"test accuracy {a:.1%}" for e, a in enumerate(progress.accuracies)]


# --- answers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("exercise", "wrong", "says"), [
    ("flatten-shape", "[2048]", "keeps the batch"),
    ("flatten-shape", "[32, 16, 2, 2]", "shape going in"),
    ("linear-in-features", "2048", "the batch (32) is not part of it"),
    ("linear-in-features", "256", "leaves out a pooling (net[2] or net[5])"),
    ("second-conv-shape", "[32, 16, 8, 8]", "skips net[2]"),
    ("first-pool-shape", "[32, 4, 4, 4]", "the 8 channels stay"),
    ("linear-parameters", "20490", "not the batch's"),
    ("field-second-pool", "8", "the field of net[4]"),
    ("logits-shape", "[32, 64]", "is what goes in"),
    ("net-parameters", "66954", "as a fully connected layer has"),
    ("net-parameters", "24458", "its own kernel"),
    ("field-second-conv", "6", "jump"),
    ("second-pool-shape", "[32, 16, 4, 4]", "input"),
])
def test_a_wrong_ledger_answer_names_its_mistake(exercise, wrong, says):
    from tutor.course.answers import check

    result = expected(EXERCISES[exercise].answer, LESSON.labs)
    verdict = check(result, wrong)
    assert not verdict.correct and says in verdict.message, verdict.message


# --- the pages, by keys ------------------------------------------------------------------------------
def ledger_row(app, index: int) -> str:
    return next(line for line in text(app, "#ledger").splitlines() if line.startswith(f"net[{index}]"))


async def test_the_ledger_fills_in_as_the_learner_answers(make_app):
    app = make_app("first-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, LEDGER)
        await settle(app, pilot)
        assert "?" in ledger_row(app, 0) and "?" in ledger_row(app, 1)  # a ReLU's shape would give it away
        await pilot.press(*"[32,8,8,8]", "enter")
        await settle(app, pilot)
        assert "[32, 8, 8, 8]" in ledger_row(app, 0) and "[32, 8, 8, 8]" in ledger_row(app, 1)
        assert "?" in ledger_row(app, 2)
        await pilot.press("pagedown")
        await settle(app, pilot)
        await tab_to(app, pilot, "answer")
        assert "Linear(?, 10)" in ledger_row(app, 7)
        await pilot.press("tab", *"2048", "enter")  # the in_features question
        await settle(app, pilot)
        assert "batch" in text(app, "#exercise-linear-in-features #feedback")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert "Linear(64, 10)" in ledger_row(app, 7)
    record = app.progress.lesson("first-cnn").exercises
    assert record["first-conv-shape"].solved and record["linear-in-features"].revealed


async def test_the_sharing_page_shows_both_counts(make_app):
    app = make_app("first-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, SHARING)
        await settle(app, pilot)
        table = text(app, "#sharing")
        assert re.search(r"total\s+1,898\s+66,954", table) and "35 times" in table


async def test_the_receptive_field_follows_the_layer_and_the_cell(make_app):
    app = make_app("first-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, FIELD)
        await settle(app, pilot)
        assert len(grid(app, "field-input").window) == 4  # net[0], cell (0, 0): a 3x3 window cut by padding
        await pilot.press("n", "n", "n")  # net[1], net[2], net[3]
        await settle(app, pilot)
        assert app.screen.query_one("#set-layer").value == 3
        await tab_to(app, pilot, "field-map")
        await pilot.press("right", "down")
        await settle(app, pilot)
        channel = grid(app, "field-map").address.index[0]  # the channel the digit lights up most
        session = app.screen.query_one("#lab").session
        positive = np.clip(session.outputs(session.sample)[3], 0, None).sum(axis=(1, 2))
        assert channel == int(positive.argmax()) and np.array(grid(app, "field-map").values).max() > 0
        mask, _ = session.field(3, (channel, 1, 1))
        assert grid(app, "field-input").window == set(zip(*(a.tolist() for a in mask.nonzero())))
        shown = text(app, "#field-text")
        assert f"net[3] cell [0, {channel}, 1, 1]" in shown and "49 pixels" in shown
        assert "is a question below" in shown and "8 × 8" not in shown  # the open question's answer
        await pilot.press(*"8", "enter")  # answered: the formula shows, and agrees with autograd
        await settle(app, pilot)
        assert app.screen.query_one("#exercise-field-second-conv").solved
        shown = text(app, "#field-text")
        assert "a field of 8 × 8, neighbours 2 apart" in shown and "They agree." in shown


async def test_training_runs_pauses_and_restarts_by_keys(make_app):
    app = make_app("first-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, TRAINING)
        await settle(app, pilot)
        assert text(app, "#train-status").startswith("epoch 0 (+0 of 45 batches)")
        await pilot.press("s")
        assert text(app, "#train-status").startswith("epoch 0 (+1 of 45 batches)")
        lab = app.screen.query_one("#lab")
        await pilot.press("space")
        for _ in range(200):
            await pilot.pause(0.05)
            if lab.session.trainer().progress().epoch >= 1:
                break
        await pilot.press("space")
        await pilot.pause(0.2)
        status = text(app, "#train-status")
        assert "test accuracy" in status and not status.startswith("epoch 0") and "training" not in status
        await pilot.press("r")
        await settle(app, pilot)
        assert text(app, "#train-status").startswith("epoch 0 (+0 of 45 batches)")


async def test_a_digit_drawn_by_keys_is_read_by_the_net(make_app):
    app = make_app("first-cnn")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, CANVAS)
        await settle(app, pilot)
        await tab_to(app, pilot, "canvas")
        await pilot.press("delete")
        assert not np.array(grid(app, "canvas").values).any()
        await pilot.press("space", "right", "2", "right", "x", "down")
        await settle(app, pilot)
        values = np.array(grid(app, "canvas").values)
        assert values[0, 0] == 16 and values[0, 1] == 8 and values[0, 2] == 0 and values.sum() == 24
        session = app.screen.query_one("#lab").session
        probabilities, _ = session.look()
        best = int(probabilities.argmax())
        assert f"The net says: {best} ({probabilities[best]:.1%})" in text(app, "#prediction")
        await pilot.press("d")  # the canvas started as test image 0: the next is 1
        await settle(app, pilot)
        assert np.array_equal(np.array(grid(app, "canvas").values), session.data.images[session.data.test[1]])
        assert f"Test image 1: a {session.data.labels[session.data.test[1]]}." in text(app, "#lab-status")
        await pilot.press("enter", *"7", "enter")  # an exact value, typed
        await settle(app, pilot)
        assert np.array(grid(app, "canvas").values)[1, 2] == 7 and grid(app, "canvas").editing is None
        await pilot.press("enter", *"2.5", "enter")  # not a whole number: refused, nothing changes
        await settle(app, pilot)
        assert "whole number from 0 (no ink) to 16" in text(app, "#lab-status")
        assert np.array(grid(app, "canvas").values)[1, 2] == 7 and grid(app, "canvas").editing is None
        await pilot.press("enter", "enter")  # nothing typed: the pixel's rule, not any number's
        await settle(app, pilot)
        assert text(app, "#lab-status") == "A pixel is a whole number from 0 (no ink) to 16 (full ink). The pixel keeps its value."


async def test_a_chunk_that_ends_after_the_pause_is_shown(make_app):
    """The worker may be in a chunk when the learner pauses: the net moves on after the screen
    showed it paused. The chunk's message then brings the screen up to the net as it is."""
    app = make_app("first-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, TRAINING)
        lab = app.screen.query_one("#lab")
        await pilot.press("s")  # paused, one batch: the screen shows +1
        await settle(app, pilot)
        late = lab.session.train(3)  # the chunk the worker finishes after the pause
        lab.post_message(lab.Trained(late, False))
        await settle(app, pilot)
        assert text(app, "#train-status").startswith("epoch 0 (+4 of 45 batches)")
        assert app.screen.query_one("#loss").losses == lab.session.trainer().progress().losses


async def test_keys_that_come_together_ink_in_the_order_they_came(make_app):
    """As a terminal delivers a fast typist's keys (→ 0 → 2 in one read), posted together:
    each level lands on the pixel the arrow before it reached, not the one it left."""
    from textual import events

    app = make_app("first-cnn")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, CANVAS)
        await tab_to(app, pilot, "canvas")
        await pilot.press("delete", "space")  # (0, 0) inked full
        await settle(app, pilot)
        for key, character in [("right", None), ("0", "0"), ("right", None), ("2", "2")]:
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        assert np.array(grid(app, "canvas").values)[0, :3].tolist() == [16, 0, 8]
        assert grid(app, "canvas").cursor == (0, 2)


async def test_enter_a_number_enter_typed_at_once_commits_and_closes_the_edit(make_app):
    """Enter, 7, Enter in one read of the terminal: the value is in and no empty edit is left
    open (Enter's binding used to act after the keys behind it, and opened a new one)."""
    from textual import events

    app = make_app("first-cnn")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, CANVAS)
        await tab_to(app, pilot, "canvas")
        for key, character in [("enter", "\r"), ("7", "7"), ("enter", "\r")]:
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        assert np.array(grid(app, "canvas").values)[0, 0] == 7 and grid(app, "canvas").editing is None


def test_a_seeded_net_is_the_same_while_other_threads_build_layers():
    """Workers build modules at once (a lab's seeded net, an exercise's shapes): torch's one
    global generator must not hand a seeded build another thread's draws."""
    import threading

    from tutor.engine import layers
    from tutor.engine.spec import ConvSpec

    specs = NetworkSession(LAB).specs
    alone = [p.detach().clone() for p in network.build(specs, (1, 1, 8, 8), 0).parameters()]
    built, stop = [], threading.Event()

    def seeded_builds():
        for _ in range(20):
            built.append([p.detach().clone() for p in network.build(specs, (1, 1, 8, 8), 0).parameters()])

    def other_builds():
        while not stop.is_set():
            layers.output_shape(ConvSpec(1, 4, 3), (1, 1, 6, 6))

    others = [threading.Thread(target=other_builds) for _ in range(2)]
    for thread in others:
        thread.start()
    seeded_builds()
    stop.set()
    for thread in others:
        thread.join()
    assert all(all(torch.equal(a, b) for a, b in zip(alone, net)) for net in built)


@pytest.mark.parametrize(("name", "lr"), [("Adam", 0.01), ("SGD", 0.1)])
def test_the_labs_optimiser_is_torch_optims_to_the_bit(name, lr):
    """The lab updates the weights as torch.optim does, bit for bit, batch after batch (it does
    not build torch.optim's own, which imports torch._dynamo: +72 MB)."""
    from tutor.engine.optimizers import OPTIMIZERS

    data, specs = load_dataset(DATA), NetworkSession(LAB).specs
    x = torch.from_numpy(data.images[data.train[:256]]).float()[:, None] / 16
    y = torch.from_numpy(data.labels[data.train[:256]]).long()
    ours, theirs = (network.build(specs, (1, 1, 8, 8), 0) for _ in range(2))
    mine, reference = OPTIMIZERS[name](ours.parameters(), lr=lr), getattr(torch.optim, name)(theirs.parameters(), lr=lr)
    for batch in range(40):
        for net, optimizer in ((ours, mine), (theirs, reference)):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(x[batch % 8 * 32:][:32]), y[batch % 8 * 32:][:32]).backward()
            optimizer.step()
    assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters()))


def test_training_does_not_import_dynamo():
    import subprocess
    import sys

    code = ("import sys; from tutor.course.loader import load_lesson, bundled_folder; "
            "from tutor.labs.network import NetworkSession; "
            "s = NetworkSession(load_lesson(bundled_folder() / 'first-cnn.toml').labs['digits']); "
            "s.trainer().train(3); print('torch._dynamo' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


async def test_a_layer_with_the_same_field_keeps_the_secret(make_app):
    """net[4] (a ReLU) sees what net[3] sees: its formula would answer net[3]'s open question."""
    app = make_app("first-cnn")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, FIELD)
        await settle(app, pilot)
        await pilot.press("n", "n", "n", "n")  # net[4]
        await settle(app, pilot)
        assert app.screen.query_one("#set-layer").value == 4
        assert "is a question below" in text(app, "#field-text") and "8 × 8" not in text(app, "#field-text")


async def test_what_the_training_page_shows_is_the_nets_state(make_app):
    """Trained a while, then paused: the chart, the matrix, the kernels and the maps of the digit
    are the net's own numbers, computed here with torch; → shows the next digit's maps."""
    from tutor.labs.network_text import confusion_text, loss_chart

    app = make_app("first-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, TRAINING)
        lab = app.screen.query_one("#lab")
        await pilot.press("space")
        for _ in range(200):
            await pilot.pause(0.05)
            if lab.session.trainer().progress().batches >= 60:
                break
        await pilot.press("space")
        await settle(app, pilot)
        trainer, data = lab.session.trainer(), lab.session.data
        progress, net = trainer.progress(), trainer.net
        chart = app.screen.query_one("#loss")
        assert text(app, "#loss") == loss_chart(progress.losses, chart.content_size.width)
        assert text(app, "#loss").splitlines()[0].startswith(f"{max_mean(progress.losses, chart.content_size.width - 8):.4f}"[:6])
        assert text(app, "#confusion") == confusion_text(progress.confusion)
        kernels, maps_shown = (app.screen.query_one(f"#{name}") for name in ("kernels", "maps"))
        assert kernels.titles == [f"k{o}" for o in range(8)] and maps_shown.titles[:2] == ["digit", "map 0"]
        for digit in (0, 1):
            image = torch.tensor(data.images[data.test[digit]], dtype=torch.float32) / data.peak
            maps = nn.functional.conv2d(image[None, None], net[0].weight, net[0].bias, padding=1)[0]
            assert np.array_equal(maps_shown.maps[0], image.numpy())
            for o in range(8):
                assert np.allclose(kernels.maps[o], net[0].weight[o, 0].detach().numpy(), atol=1e-6)
                assert np.allclose(maps_shown.maps[1 + o], maps[o].detach().numpy(), atol=1e-5)
            await tab_to(app, pilot, "set-digit")
            await pilot.press("right")
            await settle(app, pilot)


async def test_a_maps_exact_values_are_read_by_the_arrows(make_app):
    """The heat maps hide their numbers: Tab to them and the arrows read any cell, moving on
    from one map into the next; the value is the net's, computed here."""
    app = make_app("first-cnn")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, TRAINING)
        lab = app.screen.query_one("#lab")
        await pilot.press("s")
        await settle(app, pilot)
        await tab_to(app, pilot, "kernels")
        kernels = app.screen.query_one("#kernels")
        weight = lab.session.trainer().net[0].weight.detach()
        assert screen_says(app, f"net[0].weight[0, 0][0, 0] = {format_number(float(weight[0, 0, 0, 0]))}")
        await pilot.press("down", "right", "right", "right")  # past k0's last column: into k1
        assert kernels.cursor == (1, 1, 0)
        assert screen_says(app, f"net[0].weight[1, 0][1, 0] = {format_number(float(weight[1, 0, 1, 0]))}")
        await pilot.press("left")
        assert kernels.cursor == (0, 1, 2)
        await pilot.press("tab")  # on to the digit and its maps: the kernels' line is a hint again
        assert app.focused.id == "maps" and screen_says(app, "digit[0, 0] = 0")
        assert kernels.value_line()[1] == "(Tab here, then the arrows: the value of a cell)"
        await pilot.press(*["right"] * 8 * 4)  # four maps on: into the next band, brought on screen
        assert app.focused.cursor[0] == 4 and screen_says(app, "net[0](digit)[0, 3][0, 0] = ")


async def test_every_layers_values_on_the_canvas_page_are_the_nets(make_app):
    """The last layer's ten scores, read with the arrows, are the net's output for the digit
    on the canvas, computed here with torch; a vector is indexed as one."""
    app = make_app("first-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, CANVAS)
        session = app.screen.query_one("#lab").session
        net, peak = session.trainer().net, session.data.peak
        image = torch.tensor(np.array(grid(app, "canvas").values), dtype=torch.float32) / peak
        with torch.no_grad():
            scores = net.eval()(image[None, None])[0]
        last = len(net) - 1
        await tab_to(app, pilot, f"act-{last}")
        await pilot.press("right", "right", "right")
        assert screen_says(app, f"net[:{last + 1}](digit)[0][3] = {format_number(float(scores[3]))}")


def screen_says(app, words: str) -> bool:
    return any(words in row for row in screen_text(app))


def max_mean(losses, bars: int) -> float:
    """The highest of the chart's bars, worked out here: the mean of each bar's batches."""
    n = len(losses)
    bars = min(bars, n)
    return max(sum(losses[i * n // bars:(i + 1) * n // bars]) / len(losses[i * n // bars:(i + 1) * n // bars])
               for i in range(bars))


def test_the_loss_chart_draws_the_means_of_its_batches_from_zero():
    from tutor.labs.network_text import loss_chart

    losses = [2.0, 2.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]  # means 2, 1, 0.5, 0.25 for four bars
    rows = loss_chart(losses, 8 + 4).split("\n")
    assert [row[:8] for row in rows] == ["2.0000 ┤", "       ┤", "     0 ┤"]  # the scale, 0 to the top bar
    bars = [row[8:].ljust(4) for row in rows]
    assert [row[0] for row in bars] == ["█", "█", "█"]  # 2.0: the whole height, 24 eighths
    assert [row[1] for row in bars] == [" ", "▄", "█"]  # 1.0: half of it, 12 eighths
    assert [row[2] for row in bars] == [" ", " ", "▆"]  # 0.5: 6 eighths
    assert [row[3] for row in bars] == [" ", " ", "▃"]  # 0.25: 3 eighths
    assert len(loss_chart(list(range(1, 501)), 48).split("\n")[2]) == 48  # never wider than it is given
    assert loss_chart([], 80) == "\n\n(the loss of each batch, drawn here as the net trains)"


async def test_training_stops_where_the_script_does(make_app):
    """After the lesson's epochs, to the batch: the loss on screen is the script's last."""
    app = make_app("first-cnn")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, TRAINING)
        await settle(app, pilot)
        session = app.screen.query_one("#lab").session
        await pilot.press("space")
        for _ in range(600):
            await pilot.pause(0.05)
            if not app.screen.query_one("#lab").playing:
                break
        progress = session.trainer().progress()
        assert progress.epoch == LAB.epochs and progress.batches == LAB.epochs * session.trainer().batches_per_epoch
        assert "10 epochs, as the script (c) runs them" in text(app, "#lab-status")
        await pilot.press("s")  # no more: the script's run is over
        assert session.trainer().progress().batches == progress.batches
