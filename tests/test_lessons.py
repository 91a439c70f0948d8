"""Lesson files: the bundled ones are valid; malformed ones are refused with file and field."""

from pathlib import Path

import pytest
from conftest import settle, tab_to

from tutor.cli import main
from tutor.course.loader import LessonError, bundled_folder, load_folder, load_lesson

GOOD = (bundled_folder() / "convolution.toml").read_text()


def write(tmp_path: Path, text: str, name="bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> str:
    with pytest.raises(LessonError) as error:
        load_lesson(path)
    return str(error.value)


def test_bundled_lessons_load_and_check(capsys):
    lessons, errors = load_folder(bundled_folder())
    assert not errors and [l.id for l in lessons][0] == "convolution"
    assert main(["check", str(bundled_folder())]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


def test_bad_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, 'id = "x"\ntitle = \n')
    text = problems(path)
    assert str(path) in text and ":2:" in text and "not valid TOML" in text


@pytest.mark.parametrize("old,new,where,message", [
    ('title = "Convolution"', "", "title", "missing"),
    ("order = 10", 'order = "ten"', "order", "expected an integer"),
    ("kernel_size = 2, bias = false", "kernel_size = 2, bias = 0", "labs.notebook.layer.bias", "expected true or false"),
    ('kind = "conv2d"', 'kind = "fft"', "labs.notebook.kind", "unknown lab kind"),
    ('show = ["input"]', 'show = ["input", "movie"]', "pages[1].show", "unknown part"),
    ('quantity = "output_shape"', 'quantity = "vibes"', "pages[2].exercises[1].answer.quantity", "unknown quantity"),
    ('lab = "notebook"\nshow = ["input"]', 'lab = "elsewhere"\nshow = ["input"]', "pages[1].lab", "does not define"),
    ("values = [[0.1, 0.2], [-0.4, -0.5]]", "values = [[0.1, 0.2]]", "labs.notebook.kernels[1].values", "2x2"),
    ("shape = [1, 2, 4, 4]", "shape = [1, 2, 4000, 4]", "labs.notebook.input.shape", "sides 1..64"),
])
def test_malformed_fields_are_named(tmp_path, old, new, where, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    text = problems(path)
    assert f"{path}: {where}: " in text and message in text


def test_check_reports_an_answer_that_cannot_be_computed(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("index = [0, 0, 0, 0]", "index = [0, 0, 9, 0]"))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "exercises.first-value.answer: cannot be computed" in out and "outside the output" in out


async def test_app_names_a_broken_lesson_instead_of_crashing(tmp_path, make_app):
    write(tmp_path, GOOD, "convolution.toml")
    write(tmp_path, "this is = not toml [", "broken.toml")
    app = make_app(folder=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        options = app.screen.query_one("#lessons")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("broken.toml" in p and "not valid TOML" in p for p in prompts)
        assert "Convolution" in prompts[0]


def readme_example(tmp_path: Path) -> Path:
    """The complete example lesson of lessons/README.md, as a teacher would copy it."""
    text = (bundled_folder() / "README.md").read_text()
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    return write(tmp_path, example, "my-first.toml")


async def test_the_documented_example_is_a_working_lesson(tmp_path, make_app, capsys):
    path = readme_example(tmp_path)
    assert main(["check", str(path)]) == 0
    app = make_app("my-first", folder=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one("#y-0").values == ((-4.0, -4.0), (-4.0, -4.0))  # x[i,j] - x[i+1,j+1]
        await tab_to(app, pilot, "answer")
        await pilot.press(*"1x1x2x2", "enter")
        await settle(app, pilot)
        assert app.screen.query_one("ExerciseCard").status == "correct"


def test_check_lists_every_problem_with_file_page_and_field(tmp_path, capsys):
    bad = GOOD.replace('title = "Convolution"', "title = 5").replace('quantity = "output_shape"', 'quantity = "x"')
    path = write(tmp_path, bad)
    assert main(["check", str(path), str(bundled_folder())]) == 1
    out = capsys.readouterr().out
    assert f"{path}: title: expected a string, got int 5" in out
    assert f"{path}: pages[2].exercises[1].answer.quantity: unknown quantity 'x'" in out
    bundled = len(list(bundled_folder().glob("*.toml")))
    assert f"{1 + bundled} file(s) checked, 2 problem(s)." in out


async def test_command_palette_opens_any_page(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"under the hood")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.lesson.id == "convolution" and app.screen.page_index == 3


def test_the_lessons_facts_are_torchs():
    """Numbers the lesson text states, checked against torch: the groups picture's weight, and
    the notebook's slicing code, which gives the layer's own first output."""
    import torch
    from torch import nn

    from tutor.labs.conv import ConvSession

    arithmetic = (bundled_folder() / "arithmetic.toml").read_text(encoding="utf-8")
    assert "nn.Conv2d(6, 4, kernel_size=3, groups=2)" in arithmetic and "`[4, 3, 3, 3]`" in arithmetic
    assert tuple(nn.Conv2d(6, 4, kernel_size=3, groups=2).weight.shape) == (4, 3, 3, 3)
    convolution = load_lesson(bundled_folder() / "convolution.toml")
    assert "(f1 * c.weight[0, 0] + f2 * c.weight[0, 1]).sum()" in convolution.pages[2].body
    session = ConvSession(convolution.labs["notebook"])
    a, weight = torch.from_numpy(session.x), torch.from_numpy(session.weight)
    f1, f2 = a[0, 0, :2, :2], a[0, 1, :2, :2]
    assert torch.isclose((f1 * weight[0, 0] + f2 * weight[0, 1]).sum(), torch.tensor(float(session.output[0, 0, 0, 0])))
