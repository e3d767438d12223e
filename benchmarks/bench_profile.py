"""Figures for learning a person's hand (issues 14 and 19): teaching, and reading with a big profile.

    python benchmarks/bench_profile.py [--model M] [--samples 1000]

Prints: the time to teach one sample into a profile that already holds --samples, in the app's
two parts: on the GUI thread, storing the ink in SQLite (one insert, the content key); on the
worker thread, rendering its variants, running the model, caching the reading and rebuilding the
adapter (target: the whole <= 50 ms p50, none of the model's work on the GUI thread); stroke end
to answer with that profile beside the same without a profile, in one run, query by query
(target: p50 with the profile <= 1.5x the model alone); the GUI thread's time at start-up with
that profile, its embeddings cached, before (the profile read on the GUI thread, as until issue 22)
and now (only `Personalization.apply`; the worker's part beside it); and the time to re-derive
the embeddings for a new model. The drawings are UNIPEN pen digits replayed on the canvas.
Wall-clock on whatever else this machine is doing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# As the app does (digitpad/__init__.py), before numpy starts: one OpenBLAS thread. numpy's
# default, a thread per core, makes each small product wait for the other threads (about 30 ms
# per answer instead of 0.3 ms on a busy 2-core machine).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.personal.personalize import Personalization, read_stored  # noqa: E402
from digitpad.personal.profile import Profile  # noqa: E402
from digitpad.reading.adapt import model_key, read_drawings  # noqa: E402
from digitpad.reading.recognizer import Recognizer  # noqa: E402
from training import unipen  # noqa: E402
from training.unipen import place  # noqa: E402


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1e3
    return f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms"


def startup(path: Path, classifier: Classifier, rounds: int = 5) -> None:
    """The GUI thread's part of opening the profile at start-up, the old way and the app's, median of `rounds`."""
    before, after, worker = [], [], []
    for _ in range(rounds):
        with Profile(path) as profile:  # before: everything read and applied on the GUI thread
            key = model_key(classifier)  # (hashed on the worker then too)
            start = time.perf_counter()
            Personalization(profile, Recognizer(classifier), derive=False, key=key)
            before.append(time.perf_counter() - start)
        with Profile(path) as profile:  # now: bound without reading, the worker reads, the GUI thread applies
            start = time.perf_counter()
            personalization = Personalization(profile, Recognizer(classifier), derive=False, key="", read=False)
            personalization.start_read()
            bound = time.perf_counter()
            with Profile(path) as own:  # the worker's own connection (ui.personal._read_profile)
                stored = read_stored(own, model_key(classifier))
            read = time.perf_counter()
            personalization.apply(stored)
            applied = time.perf_counter()
            after.append(bound - start + applied - read)
            worker.append(read - bound)
            assert personalization.samples and not personalization.pending
    print(f"start-up with {len(personalization.samples):,} samples cached, on the GUI thread:")
    print(f"  the profile read there:                  {np.median(before) * 1e3:.0f} ms  (before issue 22)")
    print(f"  now, the worker's read applied:          {np.median(after) * 1e3:.1f} ms  "
          f"(the worker reads: {np.median(worker) * 1e3:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="ONNX model with an 'embedding' output (default: the shipped one)")
    parser.add_argument("--samples", type=int, default=1000, help="samples in the profile (default 1000)")
    args = parser.parse_args()
    model = resolve_model_path(args.model)
    classifier = Classifier(model)
    if classifier.embedding_size is None:
        raise SystemExit(f"{model} has no 'embedding' output: nothing to adapt with")
    rng = np.random.default_rng(0)
    samples = list(unipen.iter_samples(unipen.DEFAULT_PATH))[: args.samples + 1050]
    drawings = [place(s.strokes, rng) for s in samples]
    labels = [s.label for s in samples]
    profile_items = list(zip(drawings[: args.samples], labels[: args.samples]))
    taught_items = list(zip(drawings[args.samples : args.samples + 50], labels[args.samples : args.samples + 50]))
    queries = drawings[args.samples + 50 :]
    print(f"model: {model.name}; profile of {args.samples:,} UNIPEN drawings; {len(queries):,} queries")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.sqlite3"
        recognizer = Recognizer(classifier)
        with Profile(path) as profile:
            personalization = Personalization(profile, recognizer)
            start = time.perf_counter()
            personalization.teach_many(profile_items)
            elapsed = time.perf_counter() - start
            print(f"teach {args.samples:,} samples in one go:      {elapsed:.1f} s ({args.samples / elapsed:,.0f}/s)")
            store, embed, whole = [], [], []
            for drawing, label in taught_items:  # as the app does it: store, then read on the worker
                start = time.perf_counter()
                personalization.teach_many([(drawing, label)], embed=False)
                stored = time.perf_counter()
                (sample,) = personalization.take_pending(1)
                (reading,) = read_drawings(classifier, recognizer.normalization, [sample.drawing])
                assert reading is not None
                personalization.accept(personalization.model_key, {sample.id: reading})
                done = time.perf_counter()
                store.append(stored - start)
                embed.append(done - stored)
                whole.append(done - start)
            print(f"teach one sample (profile of {len(profile):,}):  {percentiles(whole)}  (target p50 <= 50 ms)")
            print(f"  of which on the GUI thread (store):      {percentiles(store)}")
            print(f"  of which on the worker (model, adapter): {percentiles(embed)}")

            adapted, alone = [], []
            adapter = recognizer.adapter
            for drawing in queries:
                recognizer.adapter = adapter
                start = time.perf_counter()
                recognizer.recognize(drawing)
                adapted.append(time.perf_counter() - start)
                recognizer.adapter = None
                start = time.perf_counter()
                recognizer.recognize(drawing)
                alone.append(time.perf_counter() - start)
            recognizer.adapter = adapter
            ratio = np.percentile(adapted, 50) / np.percentile(alone, 50)
            print(f"stroke end -> answer, with the profile:    {percentiles(adapted)}")
            print(f"stroke end -> answer, model alone:         {percentiles(alone)}")
            print(f"with the profile / model alone, p50:       {ratio:.2f}x  (target <= 1.5x)")

        startup(path, classifier)
        with Profile(path) as profile:
            profile.forget_other_models("another model")  # as if the model changed: the cache is dropped
            start = time.perf_counter()
            Personalization(profile, Recognizer(classifier))
            print(f"open it for a new model (re-derive all):   {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
