"""Read lesson files (TOML) into the course model, reporting every problem by file and field.

Lesson files are data: they are parsed with ``tomllib`` and checked field by field; nothing in
them is executed, and the sizes they may ask for are bounded (see the limits below). Only
regular files are read, and never more than just past the size limit. Every problem is reported
with its names escaped (``tutor.text.clean``): a key or a file name may hold terminal codes.
"""

from __future__ import annotations

import codecs
import math
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.course.model import (
    DEFAULT_PARTS,
    GRADIENT_OF,
    LAB_PARTS,
    NETWORK_PARTS,
    QUANTITIES,
    AnswerSpec,
    Choice,
    ConvLabSpec,
    ConvPreset,
    Exercise,
    FeatureLabSpec,
    GradientLabSpec,
    Image,
    KernelOverride,
    LabSpec,
    Lesson,
    NetworkLabSpec,
    Page,
    PoolLabSpec,
    TrainingLabSpec,
    TransposedLabSpec,
    UnfoldLabSpec,
)
from tutor.engine.spec import (
    ConvSpec,
    FlattenSpec,
    LayerSpec,
    LinearSpec,
    NetLayerSpec,
    PoolSpec,
    ReluSpec,
    TransposedSpec,
)
from tutor.text import clean, quoted, unsafe

# Bounds that keep a lesson small enough to show and cheap to compute.
MAX_FILE_BYTES = 256 * 1024
MAX_SIDE = 64
MAX_CHANNELS = 16
MAX_KERNEL = 9
MAX_VALUE = 1e4
INPUT_FILLS = ("arange", "zeros", "randn")
LAB_KINDS = ("conv2d", "pool2d", "features", "training", "network", "unfold", "gradient", "transposed")
MAX_IMAGE = 32
INITS = ("equal", "random")
POOL_TYPES = {"MaxPool2d": "max", "AvgPool2d": "avg"}
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_MISSING = object()


@dataclass(frozen=True)
class Problem:
    path: Path
    where: str
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        # Field names come from the file's keys, messages may quote its values: both are escaped.
        object.__setattr__(self, "where", clean(self.where))
        object.__setattr__(self, "message", clean(self.message))

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        where = f" {self.where}:" if self.where else ""
        return f"{clean(self.path)}{line}:{where} {self.message}"


class LessonError(Exception):
    """A lesson file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Reader:
    """Reads fields out of parsed TOML, recording a problem for each bad one."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.path, where, message))

    def field(self, table: dict, key: str, kind: type, where: str, default: Any = _MISSING) -> Any:
        name = f"{where}.{key}" if where else key
        if key not in table:
            if default is _MISSING:
                self.problem(name, f"missing (expected {_kind_name(kind)})")
            return None if default is _MISSING else default
        value = table[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            self.problem(name, f"expected an integer, got {_describe(value)}")
            return None
        if kind is not int and not isinstance(value, kind):
            self.problem(name, f"expected {_kind_name(kind)}, got {_describe(value)}")
            return None
        return value

    def count(self, table: dict, key: str, where: str, low: int, high: int, default: Any = _MISSING) -> int | None:
        value = self.field(table, key, int, where, default)
        if isinstance(value, int) and not low <= value <= high:
            self.problem(f"{where}.{key}", f"must be between {low} and {high}, got {value}")
            return None
        return value

    def unknown(self, table: dict, allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.problem(f"{where}.{key}" if where else key, f"unknown field (known: {', '.join(sorted(allowed))})")


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a decimal number", bool: "true or false",
            list: "a list", dict: "a table"}[kind]


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:30] + '…' if len(text) > 30 else text}"


def load_lesson(path: Path) -> Lesson:
    """The lesson in ``path``, or ``LessonError`` listing every problem found."""
    path = Path(path)
    raw = _read(path).removeprefix(codecs.BOM_UTF8)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LessonError([Problem(path, "", "is not UTF-8 text")]) from None
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        raise LessonError([_toml_problem(path, error)]) from None
    reader = _Reader(path)
    _refuse_unsafe_text(reader, data)
    lesson = _lesson(reader, data)
    if reader.problems:
        raise LessonError(reader.problems)
    return lesson


def _read(path: Path) -> bytes:
    """The bytes of the regular file ``path``, or ``LessonError``. A FIFO would wait for a writer
    and a device may never end, so the file is opened without blocking and its kind checked
    (before opening, and again on what was opened) before anything is read; and no more than
    just past the size limit is ever read."""
    try:
        _regular(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with open(fd, "rb") as file:
            size = _regular(path, os.fstat(fd)).st_size
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise LessonError([Problem(path, "", f"cannot be read: {error.strerror or error}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise LessonError([Problem(path, "", f"is {max(size, len(raw))} bytes; a lesson file may have at most "
                                             f"{MAX_FILE_BYTES}")])
    return raw


def _regular(path: Path, status: os.stat_result) -> os.stat_result:
    if not stat.S_ISREG(status.st_mode):
        raise LessonError([Problem(path, "", "is not a regular file")])
    return status


def _refuse_unsafe_text(r: _Reader, data: dict) -> None:
    """Lesson text goes to a terminal: a control character (ESC, BEL, CSI...) in it could move
    the cursor, clear the screen or retitle the window, and a direction override or invisible mark
    could make it show something other than what it says; so any but newline and tab is refused,
    in the names of tables (keys) as in the text."""
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{where}.{key}" if where else key
                _refuse_unsafe(r, here, key, "the name ", multiline=False)
                pending.append((here, item))
        elif isinstance(value, list):
            pending += [(f"{where}[{i + 1}]", item) for i, item in enumerate(value)]
        elif isinstance(value, str):
            _refuse_unsafe(r, where, value, "", multiline=True)


def _refuse_unsafe(r: _Reader, where: str, text: str, what: str, multiline: bool) -> None:
    if (bad := unsafe(text, multiline)) is not None:
        kind = "control character" if unicodedata.category(bad) == "Cc" else "invisible formatting character"
        r.problem(where, f"{what}contains the {kind} U+{ord(bad):04X}: lesson text may not hold terminal "
                         "control codes or hidden direction marks")


def _toml_problem(path: Path, error: Exception) -> Problem:
    message = str(error) if isinstance(error, tomllib.TOMLDecodeError) else "nests too deeply"
    match = re.search(r"\(at line (\d+), column \d+\)", message)
    line = int(match.group(1)) if match else None
    return Problem(path, "", f"is not valid TOML: {message}", line)


def _lesson(r: _Reader, data: dict) -> Lesson:
    r.unknown(data, {"id", "title", "summary", "order", "images", "labs", "pages"}, "")
    lesson_id = _slug(r, data, "")
    images = {key: image for key, rows in (r.field(data, "images", dict, "", {}) or {}).items()
              if (image := _image(r, rows, f"images.{key}")) is not None}
    labs: dict[str, LabSpec] = {}
    tables = r.field(data, "labs", dict, "", {}) or {}
    readers = {"conv2d": _conv_lab, "features": _feature_lab, "training": _training_lab, "network": _network_lab,
               "unfold": _conv_lab, "gradient": _conv_lab, "transposed": _transposed_lab}
    for key, table in tables.items():
        if not isinstance(table, dict):
            r.problem(f"labs.{key}", f"expected a table, got {_describe(table)}")
        elif table.get("kind") == "pool2d":
            continue  # after the conv labs: a pool lab may pool one of them
        elif table.get("kind") in readers:
            if (lab := readers[table["kind"]](r, key, table, f"labs.{key}", images)) is not None:
                labs[key] = lab
        else:
            r.problem(f"labs.{key}.kind", f"unknown lab kind {table.get('kind')!r} (known: {', '.join(LAB_KINDS)})")
    for key, table in tables.items():
        if isinstance(table, dict) and table.get("kind") == "pool2d":
            if (lab := _pool_lab(r, key, table, f"labs.{key}", labs)) is not None:
                labs[key] = lab
    pages, exercise_ids = [], {}
    for number, table in enumerate(r.field(data, "pages", list, "") or [], start=1):
        where = f"pages[{number}]"
        if not isinstance(table, dict):
            r.problem(where, f"expected a table, got {_describe(table)}")
            continue
        pages.append(_page(r, table, where, labs, exercise_ids))
    if "pages" in data and not pages and not r.problems:
        r.problem("pages", "a lesson needs at least one page")
    return Lesson(
        id=lesson_id or "",
        title=r.field(data, "title", str, "") or "",
        summary=r.field(data, "summary", str, "") or "",
        order=r.count(data, "order", "", 0, 10_000, 100) or 0,
        pages=tuple(pages),
        labs=labs,
        path=r.path,
    )


def _slug(r: _Reader, table: dict, where: str) -> str | None:
    """The ``id`` of a lesson or an exercise: a short lower-case name, safe in a file and a screen."""
    value = r.field(table, "id", str, where)
    if isinstance(value, str) and not _ID.fullmatch(value):
        r.problem(f"{where}.id" if where else "id",
                  f"{quoted(value)} must be lower-case letters, digits, '-' or '_' (at most 40)")
        return None
    return value


def _also(owners: dict[str, str], ident: str, owner: str) -> str | None:
    """None if ``ident`` is new to ``owners`` or already ``owner``'s, else why ``owner`` may not have it."""
    first = owners.setdefault(ident, owner)
    return None if first == owner else f"{quoted(ident)} is also the id of {first}"


def _image(r: _Reader, rows: Any, where: str) -> Image | None:
    """A grayscale image drawn as rows of digits: 0 is black, 9 is white (values 0 to 1)."""
    if (not isinstance(rows, list) or not 1 <= len(rows) <= MAX_IMAGE
            or not all(isinstance(row, str) and row.isascii() and row.isdigit() for row in rows)
            or len({len(row) for row in rows}) != 1 or len(rows[0]) > MAX_IMAGE):
        r.problem(where, f"must be 1 to {MAX_IMAGE} strings of digits 0-9, all of the same length "
                  f"(at most {MAX_IMAGE})")
        return None
    return tuple(tuple(int(ch) / 9 for ch in row) for row in rows)


def _lab_image(r: _Reader, table: dict, where: str, images: dict[str, Image]) -> Image | None:
    name = r.field(table, "image", str, where)
    if name is not None and name not in images:
        r.problem(f"{where}.image", f"names image {name!r}, which this lesson does not define under [images]")
        return None
    return images.get(name or "")


def _feature_lab(r: _Reader, lab_id: str, table: dict, where: str, images: dict[str, Image]) -> FeatureLabSpec | None:
    from tutor.engine.presets import PRESETS

    r.unknown(table, {"kind", "image", "presets"}, where)
    image = _lab_image(r, table, where, images)
    presets = r.field(table, "presets", list, where)
    if presets is not None and (not 1 <= len(presets) <= 6 or not all(p in PRESETS for p in presets)):
        r.problem(f"{where}.presets", f"must be 1 to 6 kernel names from: {', '.join(PRESETS)}")
        return None
    return FeatureLabSpec(lab_id, image, tuple(presets)) if image and presets else None


def _training_lab(r: _Reader, lab_id: str, table: dict, where: str, images: dict[str, Image]) -> TrainingLabSpec | None:
    r.unknown(table, {"kind", "image", "seed", "lr", "init"}, where)
    image = _lab_image(r, table, where, images)
    seed = r.count(table, "seed", where, 0, 2**31 - 1, 0)
    lr = r.field(table, "lr", float, where, 0.1)
    if isinstance(lr, float) and not 0 < lr <= 10:
        r.problem(f"{where}.lr", f"must be a learning rate between 0 and 10, got {lr}")
        lr = None
    init = r.field(table, "init", str, where, "equal")
    if init not in INITS:
        r.problem(f"{where}.init", f"must be one of {', '.join(INITS)}")
        init = None
    return TrainingLabSpec(lab_id, image, seed, lr, init) if None not in (image, seed, lr, init) else None


MAX_NET_LAYERS = 16
OPTIMIZERS = ("Adam", "SGD")


def _network_lab(r: _Reader, lab_id: str, table: dict, where: str, images: dict[str, Image]) -> NetworkLabSpec | None:
    from tutor.course.datasets import DatasetError, dataset_path

    r.unknown(table, {"kind", "dataset", "layers", "seed", "batch_size", "lr", "optimizer", "epochs"}, where)
    name, data = r.field(table, "dataset", str, where), None
    if name is not None and not _ID.fullmatch(name):
        r.problem(f"{where}.dataset", "must be a data set's name, e.g. \"digits\" (lower-case letters, digits, - and _)")
    elif name is not None:
        try:
            data = dataset_path(name, r.path.parent, bundled_folder())
        except DatasetError as error:
            r.problem(f"{where}.dataset", str(error))
    layers = _net_layers(r, r.field(table, "layers", list, where) or [], f"{where}.layers")
    values = {
        "seed": r.count(table, "seed", where, 0, 2**31 - 1, 0),
        "batch_size": r.count(table, "batch_size", where, 1, 1024, 32),
        "lr": r.field(table, "lr", float, where, 0.01),
        "optimizer": r.field(table, "optimizer", str, where, "Adam"),
        "epochs": r.count(table, "epochs", where, 1, 1000, 10),
    }
    if isinstance(values["lr"], float) and not 0 < values["lr"] <= 10:
        r.problem(f"{where}.lr", f"must be a learning rate between 0 and 10, got {values['lr']}")
        values["lr"] = None
    if values["optimizer"] is not None and values["optimizer"] not in OPTIMIZERS:
        r.problem(f"{where}.optimizer", f"must be one of {', '.join(OPTIMIZERS)} (torch.optim's)")
        values["optimizer"] = None
    if data is None or layers is None or None in values.values():
        return None
    return NetworkLabSpec(lab_id, name, data, layers, **values)


def _net_layers(r: _Reader, tables: list, where: str) -> tuple[NetLayerSpec, ...] | None:
    """The layers of ``nn.Sequential``, each ``{ type = "Conv2d" | "ReLU" | "MaxPool2d" |
    "AvgPool2d" | "Flatten" | "Linear", ... }``. The channels must chain (a Conv2d takes the
    channels the one before gives), and a Linear comes after the Flatten."""
    if not 1 <= len(tables) <= MAX_NET_LAYERS:
        r.problem(where, f"needs 1 to {MAX_NET_LAYERS} layers")
        return None
    specs, channels, flat = [], 1, False
    for number, table in enumerate(tables):
        here = f"{where}[{number}]"
        if not isinstance(table, dict):
            r.problem(here, f"expected a table, got {_describe(table)}")
            return None
        kind = table.get("type")
        if kind in ("ReLU", "Flatten"):
            r.unknown(table, {"type"}, here)
            spec = ReluSpec() if kind == "ReLU" else FlattenSpec()
        elif kind == "Linear":
            spec = _linear(r, table, here)
        elif kind in ("Conv2d", *POOL_TYPES):
            spec = _any_layer(r, table, here)
        else:
            r.problem(f"{here}.type", f"unknown layer type {kind!r:.30} (known: Conv2d, "
                      f"{', '.join(POOL_TYPES)}, ReLU, Flatten, Linear)")
            return None
        if spec is None:
            return None
        if isinstance(spec, ConvSpec) and spec.in_channels != channels:
            r.problem(f"{here}.in_channels", f"is {spec.in_channels} but the layer before gives {channels} channels")
            return None
        if flat and not isinstance(spec, (LinearSpec, ReluSpec)) or not flat and isinstance(spec, LinearSpec):
            r.problem(here, "a Linear takes the flattened vector: put Flatten before it, and no Conv2d or pooling after")
            return None
        channels = spec.out_channels if isinstance(spec, ConvSpec) else channels
        flat = flat or isinstance(spec, FlattenSpec)
        specs.append(spec)
    return tuple(specs)


def _linear(r: _Reader, table: dict, where: str) -> LinearSpec | None:
    r.unknown(table, {"type", "in_features", "out_features", "bias"}, where)
    in_features = r.count(table, "in_features", where, 1, 1 << 20, None)
    out_features = r.count(table, "out_features", where, 1, 1 << 20)
    bias = r.field(table, "bias", bool, where, True)
    if out_features is None or bias is None or ("in_features" in table and in_features is None):
        return None
    return LinearSpec(in_features, out_features, bias)


def _conv_lab(r: _Reader, lab_id: str, table: dict, where: str, images: dict[str, Image]) -> ConvLabSpec | None:
    r.unknown(table, {"kind", "input", "layer", "seed", "kernels", "presets"}, where)
    inputs = r.field(table, "input", dict, where) or {}
    shape = _shape(r, inputs, f"{where}.input")
    fill = r.field(inputs, "fill", str, f"{where}.input", "arange")
    if fill not in INPUT_FILLS:
        r.problem(f"{where}.input.fill", f"unknown fill {fill!r} (known: {', '.join(INPUT_FILLS)})")
    layer = _layer(r, r.field(table, "layer", dict, where) or {}, f"{where}.layer")
    if shape and layer and shape[1] != layer.in_channels:
        r.problem(f"{where}.layer.in_channels", f"is {layer.in_channels} but the input has {shape[1]} channels")
    seed = r.count(table, "seed", where, 0, 2**31 - 1, 0)
    kernels = []
    for number, override in enumerate(r.field(table, "kernels", list, where, []) or [], start=1):
        kernel = _kernel(r, override, f"{where}.kernels[{number}]", layer)
        if kernel is not None:
            kernels.append(kernel)
    presets = []
    for number, preset in enumerate(r.field(table, "presets", list, where, []) or [], start=1):
        here = f"{where}.presets[{number}]"
        if not isinstance(preset, dict):
            r.problem(here, f"expected a table, got {_describe(preset)}")
            continue
        r.unknown(preset, {"name", "input", "layer"}, here)
        name = r.field(preset, "name", str, here)
        preset_shape = _shape(r, preset, here, key="input")
        preset_layer = _layer(r, r.field(preset, "layer", dict, here) or {}, f"{here}.layer")
        if preset_shape and preset_layer and preset_shape[1] != preset_layer.in_channels:
            r.problem(f"{here}.layer.in_channels", f"is {preset_layer.in_channels} but the input has "
                      f"{preset_shape[1]} channels")
        elif None not in (name, preset_shape, preset_layer):
            presets.append(ConvPreset(name, preset_shape, preset_layer))
    if None in (shape, layer, seed) or fill not in INPUT_FILLS:
        return None
    if table.get("kind") == "unfold" and (layer.groups > 1 or layer.pads[0] != layer.pads[1]):
        r.problem(f"{where}.layer", "an unfold lab needs groups = 1 and even padding (F.unfold pads every side alike)")
        return None
    kind = {"unfold": UnfoldLabSpec, "gradient": GradientLabSpec}.get(table.get("kind"), ConvLabSpec)
    return kind(lab_id, shape, fill, layer, seed, tuple(kernels), tuple(presets))


MAX_TRANSPOSED_SIDE = 8  # a transposed lab's input side: its output grows by the stride


def _transposed_lab(r: _Reader, lab_id: str, table: dict, where: str, images: dict[str, Image]) -> TransposedLabSpec | None:
    r.unknown(table, {"kind", "input", "layer", "seed", "kernels"}, where)
    inputs = r.field(table, "input", dict, where) or {}
    raw = r.field(inputs, "values", list, f"{where}.input")
    values = _planes(raw)
    if raw is not None and (values is None or max(len(values[0]), len(values[0][0])) > MAX_TRANSPOSED_SIDE):
        r.problem(f"{where}.input.values", f"must be rows of finite numbers (or a list of such planes), equal "
                  f"lengths, at most {MAX_CHANNELS} planes of {MAX_TRANSPOSED_SIDE}x{MAX_TRANSPOSED_SIDE}, "
                  f"within ±{MAX_VALUE:g}")
        values = None
    layer = _transposed_layer(r, r.field(table, "layer", dict, where) or {}, f"{where}.layer")
    if layer and layer.bias:
        r.problem(f"{where}.layer.bias", "a transposed lab draws the scatter alone: set bias = false")
        return None
    if values and layer and len(values) != layer.in_channels:
        r.problem(f"{where}.layer.in_channels", f"is {layer.in_channels} but the input has {len(values)} channels")
        return None
    if values and layer and not 1 <= layer.side(max(len(values[0]), len(values[0][0]))) <= MAX_SIDE:
        r.problem(f"{where}.layer", f"gives an output side outside 1..{MAX_SIDE}")
        return None
    seed = r.count(table, "seed", where, 0, 2**31 - 1, 0)
    kernels = []
    for number, override in enumerate(r.field(table, "kernels", list, where, []) or [], start=1):
        if (kernel := _kernel(r, override, f"{where}.kernels[{number}]", layer)) is not None:
            kernels.append(kernel)
    if None in (values, layer, seed):
        return None
    return TransposedLabSpec(lab_id, values, layer, seed, tuple(kernels))


def _transposed_layer(r: _Reader, table: dict, where: str) -> TransposedSpec | None:
    r.unknown(table, {"type", "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                      "dilation", "bias"}, where)
    values = {
        "in_channels": r.count(table, "in_channels", where, 1, MAX_CHANNELS),
        "out_channels": r.count(table, "out_channels", where, 1, MAX_CHANNELS),
        "kernel_size": r.count(table, "kernel_size", where, 1, MAX_KERNEL),
        "stride": r.count(table, "stride", where, 1, MAX_KERNEL, 1),
        "padding": r.count(table, "padding", where, 0, MAX_KERNEL, 0),
        "output_padding": r.count(table, "output_padding", where, 0, MAX_KERNEL, 0),
        "dilation": r.count(table, "dilation", where, 1, MAX_KERNEL, 1),
        "bias": r.field(table, "bias", bool, where, True),
    }
    if table.get("type", "ConvTranspose2d") != "ConvTranspose2d":
        r.problem(f"{where}.type", f"a transposed lab needs a ConvTranspose2d layer, got {table.get('type')!r:.40}")
        return None
    if None in values.values():
        return None
    if values["output_padding"] >= max(values["stride"], values["dilation"]):
        r.problem(f"{where}.output_padding", "must be smaller than the stride or the dilation (torch refuses it)")
        return None
    return TransposedSpec(**values)


def _pool_lab(r: _Reader, lab_id: str, table: dict, where: str, labs: dict[str, LabSpec]) -> PoolLabSpec | None:
    r.unknown(table, {"kind", "input", "source", "pool"}, where)
    pool = _pool(r, r.field(table, "pool", dict, where) or {}, f"{where}.pool")
    source_id = r.field(table, "source", str, where, None)
    source = labs.get(source_id) if source_id else None
    if source_id and not isinstance(source, ConvLabSpec):
        r.problem(f"{where}.source", f"names {source_id!r}, which is not a conv2d lab of this lesson")
        return None
    values = None
    if source is None:
        inputs = r.field(table, "input", dict, where) or {}
        raw = r.field(inputs, "values", list, f"{where}.input")
        values = _planes(raw)
        if raw is not None and values is None:
            r.problem(f"{where}.input.values", f"must be rows of finite numbers (or a list of such planes), "
                      f"equal lengths, at most {MAX_CHANNELS} planes of {MAX_SIDE}x{MAX_SIDE}, within ±{MAX_VALUE:g}")
    if pool is None or (source is None and values is None):
        return None
    return PoolLabSpec(lab_id, pool, values, source)


def _planes(values: Any) -> tuple[tuple[tuple[float, ...], ...], ...] | None:
    """Channel planes from a 2-D list (one channel) or a 3-D list, if it is well formed."""
    if not isinstance(values, list) or not values:
        return None
    planes = values if isinstance(values[0], list) and values[0] and isinstance(values[0][0], list) else [values]
    if len(planes) > MAX_CHANNELS:
        return None
    rows = [_matrix(plane, len(plane), len(plane[0]) if plane and isinstance(plane[0], list) else 0)
            for plane in planes]
    shapes = {(len(m), len(m[0])) for m in rows if m}
    if None in rows or len(shapes) != 1 or max(max(shapes)) > MAX_SIDE:
        return None
    return tuple(rows)


def _shape(r: _Reader, table: dict, where: str, key: str = "shape") -> tuple[int, int, int, int] | None:
    """A lab's input shape, or (``key="input_shape"``) an exercise's, which is never allocated
    (shapes are computed on torch's meta device) and so may be larger."""
    shape = r.field(table, key, list, where)
    if shape is None:
        return None
    limits = (64, 4096, 4096, 4096) if key == "input_shape" else (1, MAX_CHANNELS, MAX_SIDE, MAX_SIDE)
    if len(shape) != 4 or not all(type(n) is int and 1 <= n <= top for n, top in zip(shape, limits)):
        r.problem(f"{where}.{key}", f"must be [batch, channels, height, width] with batch 1..{limits[0]}, "
                  f"channels 1..{limits[1]}, sides 1..{limits[2]}; got {shape!r:.60}")
        return None
    return tuple(shape)


def _any_layer(r: _Reader, table: dict, where: str) -> LayerSpec | None:
    """A layer named by ``type``: Conv2d (the default), ConvTranspose2d, MaxPool2d or AvgPool2d."""
    kind = r.field(table, "type", str, where, "Conv2d")
    if kind in POOL_TYPES:
        return _pool(r, table, where)
    if kind == "ConvTranspose2d":
        return _transposed_layer(r, table, where)
    if kind != "Conv2d":
        r.problem(f"{where}.type", f"unknown layer type {kind!r} (known: Conv2d, ConvTranspose2d, "
                  f"{', '.join(POOL_TYPES)})")
        return None
    return _layer(r, table, where)


def _pool(r: _Reader, table: dict, where: str) -> PoolSpec | None:
    r.unknown(table, {"type", "kernel_size", "stride", "padding", "ceil_mode"}, where)
    kind = r.field(table, "type", str, where)
    if kind is not None and kind not in POOL_TYPES:
        r.problem(f"{where}.type", f"unknown pooling type {kind!r} (known: {', '.join(POOL_TYPES)})")
        return None
    values = {
        "kernel_size": r.count(table, "kernel_size", where, 1, MAX_KERNEL),
        "stride": r.count(table, "stride", where, 1, MAX_SIDE, None),
        "padding": r.count(table, "padding", where, 0, MAX_KERNEL, 0),
        "ceil_mode": r.field(table, "ceil_mode", bool, where, False),
    }
    if kind is None or values["kernel_size"] is None or values["padding"] is None or values["ceil_mode"] is None:
        return None
    return PoolSpec(POOL_TYPES[kind], **values)


def _layer(r: _Reader, table: dict, where: str) -> ConvSpec | None:
    r.unknown(table, {"type", "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias"}, where)
    values = {
        "in_channels": r.count(table, "in_channels", where, 1, MAX_CHANNELS),
        "out_channels": r.count(table, "out_channels", where, 1, MAX_CHANNELS),
        "kernel_size": r.count(table, "kernel_size", where, 1, MAX_KERNEL),
        "stride": r.count(table, "stride", where, 1, MAX_SIDE, 1),
        "padding": _padding(r, table, where),
        "dilation": r.count(table, "dilation", where, 1, MAX_KERNEL, 1),
        "groups": r.count(table, "groups", where, 1, MAX_CHANNELS, 1),
        "bias": r.field(table, "bias", bool, where, True),  # torch's default, as the prompt's code reads
    }
    if table.get("type", "Conv2d") != "Conv2d":
        r.problem(f"{where}.type", f"a conv2d lab needs a Conv2d layer, got {table.get('type')!r:.40}")
        return None
    if None in values.values():
        return None
    for name in ("in_channels", "out_channels"):
        if values[name] % values["groups"]:
            r.problem(f"{where}.groups", f"{name} ({values[name]}) must be divisible by groups ({values['groups']})")
            return None
    return ConvSpec(**values)


def _padding(r: _Reader, table: dict, where: str) -> int | str | None:
    """A number of cells, or torch's "same" / "valid"."""
    if isinstance(table.get("padding"), str):
        if table["padding"] in ("same", "valid"):
            return table["padding"]
        r.problem(f"{where}.padding", f"must be a number of cells, \"same\" or \"valid\", got {table['padding']!r:.20}")
        return None
    return r.count(table, "padding", where, 0, MAX_KERNEL, 0)


def _kernel(r: _Reader, table: Any, where: str, layer: ConvSpec | None) -> KernelOverride | None:
    if not isinstance(table, dict):
        r.problem(where, f"expected a table, got {_describe(table)}")
        return None
    r.unknown(table, {"out", "in", "values"}, where)
    top_out = layer.out_channels - 1 if layer else MAX_CHANNELS
    top_in = (layer.in_channels if isinstance(layer, TransposedSpec) else layer.weight_shape[1]) - 1 if layer else MAX_CHANNELS
    out = r.count(table, "out", where, 0, top_out)
    into = r.count(table, "in", where, 0, top_in)
    values = r.field(table, "values", list, where)
    k = layer.kernel_size if layer else None
    rows = _matrix(values, k, k)
    if values is not None and rows is None:
        r.problem(f"{where}.values", f"must be a {k}x{k} list of finite numbers within ±{MAX_VALUE:g}")
    if None in (out, into, rows):
        return None
    return KernelOverride(out, into, rows)


def _matrix(values: Any, height: int | None, width: int | None) -> tuple[tuple[float, ...], ...] | None:
    """A ``height`` x ``width`` matrix of bounded finite numbers, or None."""
    if not height or not width or not isinstance(values, list) or len(values) != height:
        return None
    rows = []
    for row in values:
        if not isinstance(row, list) or len(row) != width:
            return None
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                   and abs(v) <= MAX_VALUE for v in row):
            return None
        rows.append(tuple(float(v) for v in row))
    return tuple(rows)


def _page(r: _Reader, table: dict, where: str, labs: dict[str, LabSpec], exercise_ids: dict[str, str]) -> Page:
    r.unknown(table, {"title", "body", "lab", "show", "exercises", "drill"}, where)
    lab = r.field(table, "lab", str, where, None)
    if lab is not None and lab not in labs:
        r.problem(f"{where}.lab", f"names lab {lab!r}, which this lesson does not define")
    show = r.field(table, "show", list, where, list(DEFAULT_PARTS)) or []
    for part in show:
        if part not in LAB_PARTS:
            r.problem(f"{where}.show", f"unknown part {part!r} (known: {', '.join(LAB_PARTS)})")
    if isinstance(labs.get(lab), NetworkLabSpec) and not set(show) & set(NETWORK_PARTS):
        r.problem(f"{where}.show", f"a network lab's page shows some of: {', '.join(NETWORK_PARTS)}")
    exercises = []
    for number, exercise in enumerate(r.field(table, "exercises", list, where, []) or [], start=1):
        parsed = _exercise(r, exercise, f"{where}.exercises[{number}]", labs, exercise_ids)
        if parsed is not None:
            exercises.append(parsed)
    return Page(
        title=r.field(table, "title", str, where) or "",
        body=r.field(table, "body", str, where, ""),
        lab=lab,
        show=tuple(p for p in show if p in LAB_PARTS),
        exercises=tuple(exercises),
        drill=r.count(table, "drill", where, 0, 2**31 - 1, None),
    )


def _exercise(r: _Reader, table: Any, where: str, labs: dict[str, LabSpec], ids: dict[str, str]) -> Exercise | None:
    """An exercise; ``ids`` holds the lesson's exercise ids seen so far, each with its place."""
    if not isinstance(table, dict):
        r.problem(where, f"expected a table, got {_describe(table)}")
        return None
    r.unknown(table, {"id", "prompt", "answer", "hints", "choices"}, where)
    exercise_id = _slug(r, table, where)
    if exercise_id is not None and (taken := _also(ids, exercise_id, where)):
        r.problem(f"{where}.id", taken)
        exercise_id = None
    prompt = r.field(table, "prompt", str, where)
    hints = r.field(table, "hints", list, where, [])
    if hints is not None and not all(isinstance(h, str) for h in hints):
        r.problem(f"{where}.hints", "must be a list of strings")
        hints = None
    answer = _answer(r, r.field(table, "answer", dict, where) or {}, f"{where}.answer", labs)
    choices = _choices(r, table, where) if answer is not None and answer.kind == "choice" else ()
    if None in (exercise_id, prompt, hints, answer, choices):
        return None
    return Exercise(exercise_id, prompt, answer, tuple(hints), choices)


def _choices(r: _Reader, table: dict, where: str) -> tuple[Choice, ...] | None:
    """Multiple choice: 2 to 6 options, each ``{ key = "a", text = "...", value = true }``."""
    options = r.field(table, "choices", list, where)
    if options is None:
        return None
    choices = []
    for number, option in enumerate(options, start=1):
        here = f"{where}.choices[{number}]"
        if not isinstance(option, dict):
            r.problem(here, f"expected a table, got {_describe(option)}")
            return None
        r.unknown(option, {"key", "text", "value"}, here)
        key, text = r.field(option, "key", str, here), r.field(option, "text", str, here)
        value = r.field(option, "value", bool, here)
        if key is not None and not (len(key) == 1 and key.isalpha()):
            r.problem(f"{here}.key", "must be one letter")
            return None
        if None in (key, text, value):
            return None
        choices.append(Choice(key.lower(), text, value))
    if not 2 <= len(choices) <= 6 or len({c.key for c in choices}) != len(choices) \
            or {c.value for c in choices} != {True, False}:
        r.problem(f"{where}.choices", "needs 2 to 6 options with different keys, at least one true and one false")
        return None
    return tuple(choices)


def _answer(r: _Reader, table: dict, where: str, labs: dict[str, LabSpec]) -> AnswerSpec | None:
    r.unknown(table, {"quantity", "lab", "index", "layer", "input_shape", "init", "steps", "net_index", "of"}, where)
    quantity = r.field(table, "quantity", str, where)
    if quantity is None:
        return None
    if quantity not in QUANTITIES:
        r.problem(f"{where}.quantity", f"unknown quantity {quantity!r} (known: {', '.join(QUANTITIES)})")
        return None
    if isinstance(labs.get(table.get("lab")), NetworkLabSpec):
        return _network_answer(r, table, where, quantity, labs[table["lab"]])
    if quantity in ("in_features", "receptive_field") or "net_index" in table:
        r.problem(f"{where}.lab", f"{quantity}{' with net_index' if 'net_index' in table else ''} needs a network lab")
        return None
    if quantity == "parameter_count":
        layer = _any_layer(r, r.field(table, "layer", dict, where) or {}, f"{where}.layer")
        return AnswerSpec(quantity, layer=layer) if layer else None
    if quantity in ("output_shape", "output_padding") and "lab" not in table:
        layer = _any_layer(r, r.field(table, "layer", dict, where) or {}, f"{where}.layer")
        if quantity == "output_padding" and layer is not None and not isinstance(layer, ConvSpec):
            r.problem(f"{where}.layer", "output_padding is asked of the Conv2d a transposed convolution undoes")
            return None
        shape = _shape(r, table, where, key="input_shape")
        return AnswerSpec(quantity, layer=layer, input_shape=shape) if layer and shape else None
    lab_id = r.field(table, "lab", str, where)
    if lab_id is not None and lab_id not in labs:
        r.problem(f"{where}.lab", f"names lab {lab_id!r}, which this lesson does not define")
        return None
    if quantity == "output_shape":
        return AnswerSpec(quantity, lab=lab_id) if lab_id else None
    if quantity in ("unfold_shape", "gradient_shape", "gradient_value", "flipped_value"):
        return _conv_lab_answer(r, table, where, quantity, labs.get(lab_id)) if lab_id else None
    if quantity == "kernels_stay_equal":
        if lab_id is not None and not isinstance(labs.get(lab_id), TrainingLabSpec):
            r.problem(f"{where}.lab", f"names {lab_id!r}, which is not a training lab")
            return None
        init = r.field(table, "init", str, where)
        if init is not None and init not in INITS:
            r.problem(f"{where}.init", f"must be one of {', '.join(INITS)}")
            return None
        steps = r.count(table, "steps", where, 1, 2000)
        return AnswerSpec(quantity, lab=lab_id, init=init, steps=steps) if lab_id and init and steps else None
    index = r.field(table, "index", list, where)
    if index is not None and (len(index) != 4 or not all(type(i) is int and i >= 0 for i in index)):
        r.problem(f"{where}.index", f"must be four indices [batch, channel, row, col], got {index!r:.60}")
        return None
    return AnswerSpec(quantity, lab=lab_id, index=tuple(index)) if lab_id and index else None


def _conv_lab_answer(r: _Reader, table: dict, where: str, quantity: str, lab: LabSpec) -> AnswerSpec | None:
    """A question about a conv2d-kind lab: its unfolded columns' shape, a gradient's shape or cell,
    or a cell of its output with the kernel flipped."""
    needs = GradientLabSpec if quantity == "gradient_value" else ConvLabSpec
    if not isinstance(lab, needs):
        r.problem(f"{where}.lab", f"{quantity} needs a {'gradient' if needs is GradientLabSpec else 'conv2d'} lab")
        return None
    of = None
    if quantity.startswith("gradient"):
        choices = GRADIENT_OF if quantity == "gradient_shape" else GRADIENT_OF[:2]
        of = r.field(table, "of", str, where)
        if of is not None and of not in choices:
            r.problem(f"{where}.of", f"must be one of {', '.join(choices)}")
            return None
        if of is None:
            return None
    elif "of" in table:
        r.unknown(table, {"quantity", "lab", "index"}, where)
    if quantity in ("unfold_shape", "gradient_shape"):
        return AnswerSpec(quantity, lab=lab.id, of=of)
    index = r.field(table, "index", list, where)
    if index is not None and (len(index) != 4 or not all(type(i) is int and i >= 0 for i in index)):
        r.problem(f"{where}.index", f"must be four indices, got {index!r:.60}")
        return None
    return AnswerSpec(quantity, lab=lab.id, index=tuple(index), of=of) if index else None


def _network_answer(r: _Reader, table: dict, where: str, quantity: str, lab: NetworkLabSpec) -> AnswerSpec | None:
    """A network lab's layer (``net_index``, as ``net[i]`` names it): its output shape, its
    parameters (without net_index: the whole net's) or its receptive field; or the Linear's
    in_features."""
    if quantity not in ("output_shape", "parameter_count", "in_features", "receptive_field"):
        r.problem(f"{where}.quantity", f"{quantity} is not asked of a network lab (known: output_shape, "
                  "parameter_count, in_features, receptive_field)")
        return None
    needs_layer = quantity in ("output_shape", "receptive_field")
    if quantity == "in_features" and not any(isinstance(spec, LinearSpec) for spec in lab.layers):
        r.problem(f"{where}.quantity", "in_features needs a net with a Linear layer")
        return None
    if not needs_layer and quantity == "in_features":
        r.unknown(table, {"quantity", "lab"}, where)
        return AnswerSpec(quantity, lab=lab.id)
    net_index = r.count(table, "net_index", where, 0, len(lab.layers) - 1, _MISSING if needs_layer else None)
    if net_index is None and (needs_layer or "net_index" in table):
        return None
    if quantity == "receptive_field" and any(isinstance(s, (FlattenSpec, LinearSpec)) for s in lab.layers[:net_index + 1]):
        r.problem(f"{where}.net_index", f"net[{net_index}] comes after the Flatten: every output of it sees the whole image")
        return None
    return AnswerSpec(quantity, lab=lab.id, net_index=net_index)


def load_folder(folder: Path) -> tuple[list[Lesson], list[LessonError]]:
    """Every ``*.toml`` lesson in ``folder`` in course order, and the errors of those that failed
    (or the folder's own, if it cannot be read)."""
    try:
        results = list(load_each(lesson_files(folder)))
    except LessonError as error:
        return [], [error]
    lessons = sorted((r for r in results if isinstance(r, Lesson)), key=lambda lesson: (lesson.order, lesson.id))
    return lessons, [r for r in results if isinstance(r, LessonError)]


def lesson_files(folder: Path) -> list[Path]:
    """The ``*.toml`` files of ``folder`` by name, or ``LessonError`` saying why it cannot be read."""
    folder = Path(folder)
    try:
        return sorted(path for path in folder.iterdir() if path.name.endswith(".toml"))
    except OSError as error:
        raise LessonError([Problem(folder, "", f"cannot be read: {error.strerror or error}")]) from None


def load_each(paths: Iterable[Path]) -> Iterator[Lesson | LessonError]:
    """The lesson or the error of each file, in order. Lesson ids are unique in a folder: a lesson
    with the id of one before it in the same folder is an error (the first one is kept)."""
    owners: dict[Path, dict[str, str]] = {}
    for path in map(Path, paths):
        try:
            lesson = load_lesson(path)
        except LessonError as error:
            yield error
            continue
        taken = _also(owners.setdefault(path.parent.resolve(), {}), lesson.id, path.name)
        yield LessonError([Problem(path, "id", taken)]) if taken else lesson


def bundled_folder() -> Path:
    """The lessons shipped with the tutor: inside the installed package, or beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "lessons"
    return installed if installed.is_dir() else package.parent / "lessons"
