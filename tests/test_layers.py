"""The architecture, enforced: layers from the bottom up are engine, course, labs, widgets,
screens, then the app; an import never points up. Engine, course and labs know nothing of
Textual; nothing the first screen needs imports torch when it is imported."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "tutor"
# Bottom to top. numbers, text and collector are plain helpers every layer may use.
LAYERS = ["numbers", "text", "collector", "engine", "course", "labs", "widgets", "screens", "commands", "app", "cli"]
SHARED = {"numbers", "text", "collector"}
NO_TEXTUAL = {"numbers", "text", "collector", "engine", "course", "labs"}


def modules() -> list[str]:
    return sorted(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
                  for path in PACKAGE.rglob("*.py") if path.name != "__main__.py")


def imported(module: str) -> set[str]:
    """Every module ``module`` imports, at its top or inside a function."""
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def violations(module: str, names: set[str]) -> list[str]:
    """What is wrong with ``module`` importing ``names``."""
    mine, found = layer(module), []
    if mine not in LAYERS:
        return found
    for name in sorted(names):
        theirs = layer(name) if name.startswith("tutor.") else None
        if theirs in LAYERS and theirs not in SHARED and LAYERS.index(theirs) > LAYERS.index(mine):
            found.append(f"{module} ({mine}) imports {name} ({theirs}), a layer above it")
        if mine in NO_TEXTUAL and name.split(".")[0] in ("textual", "rich"):
            found.append(f"{module} ({mine}) imports {name}: no Textual below the widgets")
        if mine in SHARED and name.startswith("tutor.") and theirs not in SHARED:
            found.append(f"{module} is a shared helper but imports {name}")
    return found


@pytest.mark.parametrize("module", modules())
def test_imports_never_point_up(module):
    assert violations(module, imported(module)) == []


def test_the_layer_check_catches_what_it_forbids():
    assert violations("tutor.labs.conv", {"tutor.widgets.lab"})  # labs -> widgets
    assert violations("tutor.widgets.conv_lab", {"tutor.screens.code"})  # a widget opening a screen
    assert violations("tutor.engine.conv", {"tutor.course.model"})
    assert violations("tutor.course.loader", {"textual.widgets"})
    assert violations("tutor.text", {"tutor.engine.spec"})
    assert not violations("tutor.widgets.lab", {"tutor.labs.session", "textual.widget", "tutor.text"})


UI_MODULES = [m for m in modules() if layer(m) in ("widgets", "screens", "commands", "app", "cli", "text", "numbers")
              or m in ("tutor", "tutor.course.loader", "tutor.course.model", "tutor.course.progress")]


@pytest.mark.parametrize("module", UI_MODULES)
def test_the_first_screen_does_not_import_torch(module):
    """Importing torch takes a second: the UI imports it in a worker, after the first paint."""
    code = f"import sys, {module}; print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]", f"{module} imports {run.stdout.strip()} when imported"
