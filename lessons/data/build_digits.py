"""Rebuild digits.npz, the 8x8 handwritten digits the first-cnn lesson trains on.

The images are the UCI "Optical Recognition of Handwritten Digits" data set (E. Alpaydin and
C. Kaynak, 1998; CC BY 4.0), in the copy scikit-learn ships: 1,797 images of 8x8 pixels, each
0..16, with their digit. This script reads that copy and writes it, with a fixed train/test
split, as plain arrays (no pickle: the tutor reads it with allow_pickle=False).

    pip download scikit-learn --no-deps -d /tmp/skl   # or use an installed scikit-learn
    python lessons/data/build_digits.py [path/to/digits.csv.gz or the wheel]
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "sklearn/datasets/data/digits.csv.gz"
SPLIT_SEED = 2026  # the split is stored in the file: this seed only rebuilds the same one
TEST_SHARE = 0.2


def read_csv_gz(source: Path) -> bytes:
    """The gzipped CSV, from the file itself, from a scikit-learn wheel, or from an installed copy."""
    if source.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(MEMBER)
    return source.read_bytes()


def installed_copy() -> Path:
    import sklearn  # only to find its data file

    return Path(sklearn.__file__).parent / "datasets" / "data" / "digits.csv.gz"


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else installed_copy()
    rows = np.loadtxt(io.BytesIO(gzip.decompress(read_csv_gz(source))), delimiter=",", dtype=np.int64)
    assert rows.shape == (1797, 65) and rows[:, :64].max() == 16, rows.shape
    images, labels = rows[:, :64].reshape(-1, 8, 8).astype(np.uint8), rows[:, 64].astype(np.uint8)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    cut = round(len(labels) * (1 - TEST_SHARE))
    out = Path(__file__).with_name("digits.npz")
    np.savez_compressed(out, images=images, labels=labels,
                        train=np.sort(order[:cut]).astype(np.int16), test=np.sort(order[cut:]).astype(np.int16))
    print(f"{out}: {len(labels)} images, {cut} to train, {len(labels) - cut} to test")


if __name__ == "__main__":
    main(sys.argv[1:])
