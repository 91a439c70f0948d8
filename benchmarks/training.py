"""How long the symmetry lesson's training takes: 200 SGD steps of the real net.

    python benchmarks/training.py [--runs 7]

Times `Trainer.step(200)` for equal and random starts on the lesson's own image and target.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tutor.course.loader import bundled_folder, load_lesson
from tutor.labs.training import trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    lab = load_lesson(Path(bundled_folder()) / "symmetry.toml").labs["training"]
    for init in ("equal", "random"):
        times = []
        for _ in range(runs):
            run = trainer(lab, init=init)
            start = time.perf_counter()
            snapshot = run.step(200)
            times.append(time.perf_counter() - start)
        print(f"{init:>6} init: 200 steps in {statistics.median(times) * 1000:6.1f} ms (median of {runs}); "
              f"loss {snapshot.losses[0]:.4f} -> {snapshot.losses[-1]:.4f}, "
              f"distinct kernels {snapshot.distinct_kernels} of 3")


if __name__ == "__main__":
    main()
