"""Data sets a lesson names: small labelled images in a ``.npz`` file of plain arrays, read with
``allow_pickle=False`` (a data file never runs code). A lesson's ``dataset = "digits"`` is
``data/digits.npz`` in its own folder, else in the bundled lessons' folder."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 8 << 20
MAX_IMAGES = 20_000
MAX_SIDE = 32
MAX_CLASSES = 100


class DatasetError(ValueError):
    """A data file that cannot be used, and why, in plain words."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """``images`` [N, H, W] of whole numbers 0..``peak``; ``labels`` [N] in 0..classes-1; the
    fixed ``train`` and ``test`` indices (disjoint). numpy arrays, read-only."""

    name: str
    images: object
    labels: object
    train: object
    test: object
    peak: int

    @property
    def classes(self) -> int:
        return int(self.labels.max()) + 1

    @property
    def side(self) -> tuple[int, int]:
        return tuple(self.images.shape[1:])


def dataset_path(name: str, lesson_folder: Path | None, bundled: Path) -> Path:
    """Where a lesson's dataset is: its own folder's ``data/`` first, then the bundled one's."""
    for folder in (lesson_folder, bundled):
        if folder is not None and (path := folder / "data" / f"{name}.npz").is_file():
            return path
    raise DatasetError(f"no data set named {name!r}: expected data/{name}.npz beside the lesson")


def load_dataset(path: Path) -> Dataset:
    """Read and check a data file; a ``DatasetError`` says what is wrong with it."""
    import numpy as np

    try:
        if path.stat().st_size > MAX_BYTES:
            raise DatasetError(f"{path.name} is larger than {MAX_BYTES >> 20} MiB")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("images", "labels", "train", "test") if key in archive}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetError(f"{path.name} cannot be read as a data file ({error})") from None
    missing = {"images", "labels", "train", "test"} - arrays.keys()
    if missing:
        raise DatasetError(f"{path.name} has no array named {', '.join(sorted(missing))}")
    return _checked(path.stem, **arrays)


def _checked(name: str, images, labels, train, test) -> Dataset:
    import numpy as np

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise DatasetError(f"{name}: {message}")

    for key, array in (("images", images), ("labels", labels), ("train", train), ("test", test)):
        need(array.dtype.kind in "iu", f"{key} must hold whole numbers, not {array.dtype}")
    need(images.ndim == 3 and 0 < len(images) <= MAX_IMAGES, f"images must be [N, H, W] with N <= {MAX_IMAGES}")
    need(all(2 <= side <= MAX_SIDE for side in images.shape[1:]), f"image sides must be 2 to {MAX_SIDE}")
    need(labels.shape == (len(images),), "labels must be one per image")
    need(images.min() >= 0 and 0 < images.max() <= 255, "pixels must be 0 to 255, not all 0")
    need(labels.min() >= 0 and labels.max() < MAX_CLASSES, f"labels must be 0 to {MAX_CLASSES - 1}")
    for key, index in (("train", train), ("test", test)):
        need(index.ndim == 1 and len(index) > 0, f"{key} must list image numbers")
        need(index.min() >= 0 and index.max() < len(images), f"{key} lists an image that is not there")
    need(not np.intersect1d(train, test).size, "train and test share images")
    frozen = [np.array(a, dtype=np.int64) for a in (images, labels, train, test)]
    for array in frozen:
        array.setflags(write=False)
    return Dataset(name, *frozen, peak=int(images.max()))
