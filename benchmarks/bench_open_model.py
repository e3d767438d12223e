"""What finding out another model's convention costs when it is opened, side by side with opening the shipped one.

    python benchmarks/bench_open_model.py [--rounds 7]

Issue 25's target: opening a model takes at most 1 s more than today. Today's cost is opening the
shipped model, which keeps the contract and is not probed. The others are the same network by graph
surgery (tests/onnx_models.py, needs the `onnx` package) in other conventions: a Keras export, an
ONNX-zoo-style one with a fixed batch of 1, a dark-ink 0-1 one (whose runner-up, -1 to 1, reads
MNIST nearly as well), and the worst case: one that divides each image by its brightest pixel, so
that 0-1 and 0-255 tie and read all 1,000 digits (then the person is asked). Each is opened fresh
(the probe runs, with an empty convention
cache) and again (the convention is remembered: only the file is hashed). The rounds are
interleaved (shipped, each model fresh, each again, ...) so that a busy machine slows all alike;
the figures are medians over rounds, in milliseconds, with the extra over the shipped model.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digitpad.errors import ModelConventionError  # noqa: E402
from digitpad.model.choice import shipped_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.model.convention_cache import ConventionCache  # noqa: E402
from tests.onnx_models import foreign_model  # noqa: E402

MODELS = {
    "Keras (NHWC, 0-255, logits)": {"layout": "NHWC", "scale": "BYTE"},
    "zoo (0-255 dark ink, batch of 1)": {"scale": "BYTE", "dark_ink": True, "batch": 1},
    "dark ink 0-1": {"dark_ink": True},
    "own scale (a tie: reads all 1,000)": {"own_scale": True},
}


def seconds(path: Path, cache: ConventionCache | None = None) -> float:
    """How long opening the model at `path` takes, validation (and any probe) included, or it being refused."""
    start = time.perf_counter()
    with contextlib.suppress(ModelConventionError):
        Classifier(path, cache=cache)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    args = parser.parse_args()
    shipped = shipped_model_path()
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: foreign_model(shipped, Path(folder) / f"{k}.onnx", **options)  # type: ignore[arg-type]
                 for k, (name, options) in enumerate(MODELS.items())}
        times: dict[str, list[float]] = {"shipped (keeps the contract)": []}
        Classifier(shipped)  # warm-up: the first session pays for loading ONNX Runtime's kernels
        for round_ in range(args.rounds):
            times["shipped (keeps the contract)"].append(seconds(shipped))
            for name, path in paths.items():
                cache = ConventionCache(Path(folder) / f"cache-{round_}-{path.stem}.json")
                times.setdefault(f"{name}, fresh", []).append(seconds(path, cache))
                if "tie" not in name:  # a tie is remembered only once the person chooses
                    times.setdefault(f"{name}, remembered", []).append(seconds(path, cache))
    base = statistics.median(times["shipped (keeps the contract)"])
    print(f"opening a model, median of {args.rounds} interleaved rounds (ms):")
    for name, values in times.items():
        median = statistics.median(values)
        extra = "" if name.startswith("shipped") else f"   +{(median - base) * 1000:6.0f} ms"
        print(f"  {name:<48} {median * 1000:7.0f}   (min {min(values) * 1000:5.0f}){extra}")


if __name__ == "__main__":
    main()
