"""The ONNX Runtime classifier: loads a model, checks it keeps the contract, runs it.

Widgets never touch onnxruntime: everything goes through `Classifier`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# ONNX Runtime on Linux starts Microsoft's telemetry when it loads (a device id and an event cache
# under ~/.cache/Microsoft) unless this is set by then, and no later call undoes it; digitpad works
# offline. This module is where onnxruntime loads, so the one place that is always early enough,
# for the app and for any program that uses the classifier. A value the user set wins.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import onnxruntime as ort  # noqa: E402

from digitpad.errors import (
    InferenceError,
    ModelContractError,
    ModelConventionError,
    ModelError,
    ModelNotFoundError,
    ModelTimeoutError,
)
from digitpad.ink.normalize import Normalization
from digitpad.model.adapter import Feed, Feeding, Interface, interface_of
from digitpad.model.contract import (  # noqa: E402
    EMBEDDING_NAME,
    FILTER_OUTPUTS,
    IMAGE_SIZE,
    LABELS,
    LAYER_OUTPUTS,
    LOGITS_NAME,
    MAX_CHANNELS,
    NUM_CLASSES,
    OUTPUT_NAME,
    LayerOutput,
    MetadataKey,
    normalization_from_metadata,
)
from digitpad.model.convention_cache import ConventionCache, Remembered, model_digest
from digitpad.model.conventions import Convention
from digitpad.model.external_data import external_data_bytes
from digitpad.model.probe import Trial, Verdict, probe
from digitpad.system import usable_cpu_count

#: ONNX Runtime threads per inference: a 28x28 image is too small to share among more, and
#: threads that spin while waiting for work steal the CPU from drawing on a busy machine.
INFERENCE_THREADS = 2

#: Refuse model files larger than this before parsing them (the shipped model is ~13 MB); any
#: external data files the model names count too.
MAX_MODEL_BYTES = 512 * 1024 * 1024
#: One inference may take this long, plus RUN_SECONDS_PER_INPUT for each image in the batch,
#: before ONNX Runtime is told to stop (the shipped model needs about 5 ms an image): a graph
#: whose Loop never ends must not hang the app or the command line.
RUN_SECONDS = 5.0
RUN_SECONDS_PER_INPUT = 0.05
#: Tolerance on the probabilities summing to 1 (float32 softmax gives about 1e-6).
SUM_TOLERANCE = 1e-3


class RunWatchdog:
    """Stops the ONNX Runtime runs that pass their deadline, from one thread for all of them.

    Sets a run's `RunOptions.terminate`, which ONNX Runtime checks between nodes (and between a
    Loop's iterations). A timer thread per run would cost a fifth of a small model's inference;
    this one thread sleeps until the earliest deadline, and ends when nothing has run for a while.
    A run wakes it only when its deadline comes before the one it sleeps to (never, in steady use:
    every deadline is later than the ones before it): waking it at every run's start and end cost
    as much as the inference of one drawing, in thread switches.
    """

    #: The thread ends after this long with nothing to watch (the next run starts another): a model
    #: opened and dropped leaves no thread behind for long.
    IDLE_SECONDS = 2.0
    #: While runs go on, the thread looks at least this often whether they have all ended, so that
    #: it ends within about IDLE_SECONDS of the last one without being woken at every run's end.
    LOOK_SECONDS = 0.5

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._runs: dict[int, tuple[float, ort.RunOptions]] = {}
        self._tokens = 0
        self._serving = False
        self._wakes_at = math.inf  #: when the thread's wait ends (inf: no thread, or one not yet waiting)
        self._last_end = time.monotonic()  #: when the latest run ended

    @contextlib.contextmanager
    def watch(self, options: ort.RunOptions, seconds: float) -> Iterator[None]:
        deadline = time.monotonic() + seconds
        with self._condition:
            self._tokens += 1
            token = self._tokens
            self._runs[token] = (deadline, options)
            if not self._serving:
                self._serving = True
                self._wakes_at = math.inf
                threading.Thread(target=self._serve, name="digitpad-run-watchdog", daemon=True).start()
            elif deadline < self._wakes_at:
                self._condition.notify()
        try:
            yield
        finally:
            with self._condition:
                del self._runs[token]  # the thread finds it gone when it next looks: no need to wake it
                self._last_end = time.monotonic()

    def _serve(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                if not self._runs:
                    idle = now - self._last_end
                    if idle >= self.IDLE_SECONDS:
                        self._serving = False
                        return
                    self._wakes_at = now + self.IDLE_SECONDS - idle
                    self._condition.wait(self.IDLE_SECONDS - idle)
                    continue
                for deadline, options in self._runs.values():
                    if deadline <= now:
                        options.terminate = True
                waiting = [deadline - now for deadline, _ in self._runs.values() if deadline > now]
                pause = min(*waiting, self.LOOK_SECONDS) if waiting else 0.01  # stopped runs: until they return
                self._wakes_at = now + pause
                self._condition.wait(pause)


def probe_images() -> np.ndarray:
    """What a model is tried on when it loads: a blank image and an inked one (a stroke like a 1).

    A model that is fine on blank input but fails, hangs or breaks softmax on ink must be caught
    before it is used, not on the first stroke.
    """
    images = np.zeros((2, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    images[1, 4:24, 13:16] = 1.0
    return images


@dataclass(frozen=True)
class ModelInfo:
    """What a model says about itself, for the status bar, the About dialog and the CLI."""

    path: Path
    name: str
    summary: str
    labels: tuple[str, ...]
    test_accuracy: float | None
    normalization: Normalization
    metadata: dict[str, str] = field(default_factory=dict)
    #: accuracy on pen drawings by writers the model was not trained on, if its makers measured it
    drawing_accuracy: float | None = None
    #: how a model of another convention is fed (`digitpad.model.adapter`); None for one that keeps the contract
    feeding: Feeding | None = None


def _float_or_none(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _labels(metadata: dict[str, str]) -> tuple[str, ...]:
    try:
        labels = json.loads(metadata[MetadataKey.LABELS])
    except (KeyError, ValueError):
        return LABELS
    if isinstance(labels, list) and len(labels) == NUM_CLASSES:
        return tuple(str(label) for label in labels)
    return LABELS


class Classifier:
    """A validated ONNX model that maps (N, 28, 28) images to (N, 10) probabilities.

    Every inference is stopped after `run_seconds` (+ RUN_SECONDS_PER_INPUT a image) with a
    ModelTimeoutError, so no model, however hostile, can hang its caller for longer.

    A model that does not keep digitpad's contract is fed through `digitpad.model.adapter`, in the
    convention `digitpad.model.probe` finds (remembered in a `ConventionCache`), or in `choice`, the
    one the person chose when the probe could not tell (a ModelConventionError offers the choices).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        run_seconds: float | None = None,
        choice: Trial | None = None,
        cache: ConventionCache | None = None,
    ) -> None:
        self.path = Path(path)
        self.run_seconds = RUN_SECONDS if run_seconds is None else run_seconds
        self._watchdog = RunWatchdog()
        self._session = self._open_session(self.path)
        feeding = None
        try:
            interface = interface_of(self._session.get_inputs(), self._session.get_outputs())
            self._feed = Feed(interface)
            if not interface.keeps_contract:
                feeding = self._adopt(interface, choice, cache or ConventionCache())
            self._check_contract()
            metadata = dict(self._session.get_modelmeta().custom_metadata_map)
            normalization = normalization_from_metadata(metadata)
        except ModelConventionError as exc:
            fits = "cannot be used as it is" if exc.choices else "does not fit digitpad"
            raise ModelConventionError(f"{self.path} {fits}: {exc}", exc.choices) from None
        except ModelContractError as exc:
            raise ModelContractError(f"{self.path} does not fit digitpad: {exc}") from None
        #: width of the optional `embedding` output (None: the model has none, so no adaptation)
        self.embedding_size = self._embedding_size()
        #: the contract's layer outputs the model has and that passed their check: name -> (C, H, W)
        self.layer_outputs: dict[str, tuple[int, ...]] = {}
        #: the convolution filters the model exports (`FILTER_OUTPUTS`), read once: name -> (out, in, 5, 5)
        self.filters: dict[str, np.ndarray] = {}
        #: why each layer or filter output the model has was not used (a wrong shape, say): name -> reason
        self.layer_problems: dict[str, str] = {}
        self._has_logits = False
        self._check_layer_outputs()
        self.info = ModelInfo(
            path=self.path,
            name=metadata.get(MetadataKey.NAME) or self.path.stem,
            summary=metadata.get(MetadataKey.SUMMARY, ""),
            labels=_labels(metadata),
            test_accuracy=_float_or_none(metadata.get(MetadataKey.TEST_ACCURACY)),
            normalization=normalization,
            metadata=metadata,
            drawing_accuracy=_float_or_none(metadata.get(MetadataKey.DRAWING_ACCURACY)),
            feeding=feeding,
        )

    @staticmethod
    def _open_session(path: Path) -> ort.InferenceSession:
        try:
            status = path.stat()
        except OSError:
            raise ModelNotFoundError(f"no model file at {path}") from None
        if not stat.S_ISREG(status.st_mode):
            raise ModelNotFoundError(f"no model file at {path} (it is not a regular file)")
        size = status.st_size
        if size <= MAX_MODEL_BYTES:
            try:
                size += external_data_bytes(path, MAX_MODEL_BYTES)
            except ValueError as exc:
                raise ModelError(f"{path} is not a usable ONNX model: {exc}") from None
        if size > MAX_MODEL_BYTES:
            raise ModelError(
                f"{path}: {size:,} bytes with its external data is larger than the "
                f"{MAX_MODEL_BYTES:,}-byte model limit"
            )
        options = ort.SessionOptions()
        options.log_severity_level = 4  # fatal only: digitpad reports errors itself, once, in its own words
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = min(INFERENCE_THREADS, usable_cpu_count())
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{path} is not a usable ONNX model: {first_line}") from None

    def _adopt(self, interface: Interface, choice: Trial | None, cache: ConventionCache) -> Feeding:
        """Feed a model of another convention: the person's choice, else the remembered one, else the probe's."""
        digest, chosen = model_digest(self.path), choice is not None
        if choice is not None and choice.convention.layout not in interface.layouts:
            raise ModelContractError(f"its input cannot take the {choice.convention.layout.value}")
        remembered = cache.get(digest) if choice is None else None
        if remembered is not None and remembered.trial.convention.layout in interface.layouts:
            self._feed = Feed(interface, remembered.trial.convention)
            return Feeding(self._feed.describe(), remembered.trial, remembered.chosen, remembered=True)
        if choice is None:
            def scores(convention: Convention, images: np.ndarray) -> np.ndarray:
                return self._run([OUTPUT_NAME], images, Feed(interface, convention))[0]

            try:
                result = probe(scores, interface.layouts)
            except InferenceError as exc:  # a time limit
                raise ModelContractError(f"the model fails on MNIST test digits: {exc}") from None
            if result.verdict is not Verdict.SURE:
                raise ModelConventionError(result.explain(), result.choices)
            choice = result.best
        self._feed = Feed(interface, choice.convention)
        self._check_contract()  # before it is remembered
        cache.put(digest, Remembered(choice, chosen))
        return Feeding(self._feed.describe(), choice, chosen)

    def _check_contract(self) -> None:
        # Shapes in the graph can be symbolic or wrong, and a graph can behave on blank input only:
        # run it on a blank and an inked image to see what it really does.
        try:
            self.predict(probe_images())
        except InferenceError as exc:
            raise ModelContractError(f"the model fails on a blank and an inked test image: {exc}") from None

    def time_limit(self, count: int) -> float:
        """Seconds one inference over `count` images may take."""
        return self.run_seconds + RUN_SECONDS_PER_INPUT * count

    def _embedding_size(self) -> int | None:
        """The embedding's width if the model has a usable `embedding` output, else None (ignored, not refused)."""
        output = {o.name: o for o in self._session.get_outputs()}.get(EMBEDDING_NAME)
        if output is None or output.type != "tensor(float)" or len(output.shape) != 2:
            return None
        try:
            _, embeddings = self._run_with_embeddings(np.zeros((2, IMAGE_SIZE, IMAGE_SIZE), np.float32))
        except InferenceError:
            return None
        return int(embeddings.shape[1]) if embeddings.shape[1] > 0 else None

    def predict_with_embeddings(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities (N, 10) and embeddings (N, D) in one run; embeddings None when the model has none."""
        if self.embedding_size is None:
            return self.predict(images), None
        return self._run_with_embeddings(images)

    def _run_with_embeddings(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        probabilities, embeddings = self._run([OUTPUT_NAME, EMBEDDING_NAME], batch)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.ndim != 2 or len(embeddings) != len(batch) or not np.isfinite(embeddings).all():
            raise InferenceError(f"the model returned {embeddings.shape} embeddings for {len(batch)} images; "
                                 "expected finite values, one row per image")
        return _checked_probabilities(np.asarray(probabilities, dtype=np.float32), len(batch)), embeddings

    def _check_layer_outputs(self) -> None:
        """Find the layer, filter and logits outputs that keep the contract; the rest are ignored, with a reason.

        Declared shapes may be symbolic, so each output is run on the probe images and its real
        shape checked: a layer view must show the model's truth or nothing."""
        declared = {o.name: o for o in self._session.get_outputs()}
        logits = declared.get(LOGITS_NAME)
        wanted = [o for o in (*LAYER_OUTPUTS, *FILTER_OUTPUTS) if o.name in declared]
        names = [o.name for o in wanted]
        for output in wanted:
            got = declared[output.name]
            if got.type != "tensor(float)":
                self.layer_problems[output.name] = f"it is {got.type}, not tensor(float)"
            elif len(got.shape) != len(output.shape) or any(
                want is not None and isinstance(dim, int) and dim != want for dim, want in zip(got.shape, output.shape)
            ):
                needs = ["N" if k == 0 and output.name.startswith("layer.") else "C" if w is None else w
                         for k, w in enumerate(output.shape)]
                self.layer_problems[output.name] = f"its shape is {list(got.shape)}; digitpad needs {needs}"
        names = [name for name in names if name not in self.layer_problems]
        check_logits = logits is not None and logits.type == "tensor(float)" and len(logits.shape) == 2
        if not names and not check_logits:
            return
        requested = names + ([LOGITS_NAME] if check_logits else [])
        try:
            values = dict(zip(requested, self._run(requested, probe_images().reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE))))
        except InferenceError as exc:
            self.layer_problems.update({name: f"the model fails computing it: {exc}" for name in names})
            return
        self._has_logits = check_logits and _finite_shape(values[LOGITS_NAME], (2, NUM_CLASSES))
        by_name = {o.name: o for o in wanted}
        for name in names:
            problem = _layer_problem(by_name[name], np.asarray(values[name]))
            if problem:
                self.layer_problems[name] = problem
            elif name.startswith("layer."):
                self.layer_outputs[name] = tuple(int(v) for v in np.shape(values[name])[1:])
            else:
                self.filters[name] = np.array(values[name], dtype=np.float32)
        self._check_filters_fit()

    def _check_filters_fit(self) -> None:
        """A filter must fit the layers it links (conv1's count is conv2's inputs), or it is not shown."""
        conv1, conv2 = self.filters.get("filter.conv1"), self.filters.get("filter.conv2")
        counts = {"filter.conv1": {self.layer_outputs.get("layer.conv1", (None,))[0]},
                  "filter.conv2": {self.layer_outputs.get("layer.conv2", (None,))[0]}}
        for name, weights in (("filter.conv1", conv1), ("filter.conv2", conv2)):
            if weights is not None and None not in counts[name] and weights.shape[0] not in counts[name]:
                self.layer_problems[name] = f"it has {weights.shape[0]} filters for the layer's {counts[name]} maps"
                del self.filters[name]
        conv1, conv2 = self.filters.get("filter.conv1"), self.filters.get("filter.conv2")
        pool1 = self.layer_outputs.get("layer.pool1", (None,))[0]
        inputs = conv1.shape[0] if conv1 is not None else pool1
        if conv2 is not None and inputs is not None and conv2.shape[1] != inputs:
            self.layer_problems["filter.conv2"] = f"its filters read {conv2.shape[1]} maps, not {inputs}"
            del self.filters["filter.conv2"]

    def predict_layers(self, images: np.ndarray) -> LayerActivations:
        """Everything the model shows about (N, 28, 28) images in one run: probabilities, the logits
        and embedding if it has them, and its checked layer outputs (the plain `predict` asks for none)."""
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        extra = [*self.layer_outputs, *([LOGITS_NAME] if self._has_logits else []),
                 *([EMBEDDING_NAME] if self.embedding_size is not None else [])]
        values = dict(zip([OUTPUT_NAME, *extra], self._run([OUTPUT_NAME, *extra], batch)))
        probabilities = _checked_probabilities(np.asarray(values.pop(OUTPUT_NAME), dtype=np.float32), len(batch))
        outputs = {name: np.asarray(value, dtype=np.float32) for name, value in values.items()}
        for name, value in outputs.items():
            want = (len(batch), *self.layer_outputs.get(name, ()))
            if name == LOGITS_NAME:
                want = (len(batch), NUM_CLASSES)
            elif name == EMBEDDING_NAME:
                want = (len(batch), self.embedding_size or 0)
            if not _finite_shape(value, want):
                raise InferenceError(f"the model's '{name}' has shape {value.shape} (or values that are not "
                                     f"finite); it gave {want} for its test images")
        return LayerActivations(probabilities, outputs.pop(LOGITS_NAME, None), outputs.pop(EMBEDDING_NAME, None),
                                outputs)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Probabilities (N, 10) for float32 images (N, 28, 28) or (N, 1, 28, 28) in [0, 1].

        Raises InferenceError when the model fails or returns anything but probabilities, and
        ModelTimeoutError when it runs past `time_limit`. Safe to call from any thread.
        """
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        (probabilities,) = self._run([OUTPUT_NAME], batch)
        return _checked_probabilities(np.asarray(probabilities, dtype=np.float32), len(batch))

    def _run(self, outputs: list[str], batch: np.ndarray, feed: Feed | None = None) -> list[np.ndarray]:
        """The named outputs for a (N, 1, 28, 28) batch, stopped past `time_limit` (ModelTimeoutError).

        The model is fed as `feed` says (default: as it was validated), `digitpad.model.adapter`."""
        options = ort.RunOptions()
        limit = self.time_limit(len(batch))
        try:
            with self._watchdog.watch(options, limit):
                return (feed or self._feed).run(self._session, outputs, batch, options)
        except Exception as exc:  # onnxruntime's own exception types are not public
            if options.terminate:
                raise ModelTimeoutError(
                    f"the model ran for more than {limit:g} s on {len(batch)} image(s) and was stopped"
                ) from None
            raise InferenceError(
                f"the model failed while running: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
            ) from None


@dataclass(frozen=True, eq=False)
class LayerActivations:
    """What `Classifier.predict_layers` returns for a batch of N images."""

    probabilities: np.ndarray  #: (N, 10)
    logits: np.ndarray | None  #: (N, 10), when the model has a `logits` output
    embedding: np.ndarray | None  #: (N, D), the dense layer's activations, when the model has them
    layers: dict[str, np.ndarray]  #: the checked layer outputs, name -> (N, C, H, W)


def _finite_shape(value: np.ndarray, shape: tuple[int, ...]) -> bool:
    return tuple(np.shape(value)) == shape and bool(np.isfinite(value).all())


def _layer_problem(output: LayerOutput, value: np.ndarray) -> str | None:
    """Why a layer or filter output's value on the probe images is unusable, or None."""
    is_layer = output.name.startswith("layer.")
    shape = value.shape[1:] if is_layer else value.shape
    if is_layer and (value.ndim != 4 or value.shape[0] != 2):
        return f"it gave shape {list(value.shape)} for 2 images"
    wanted = output.shape[1:] if is_layer else output.shape
    if len(shape) != len(wanted) or any(w is not None and g != w for g, w in zip(shape, wanted)):
        pretty = ["C" if w is None else w for w in wanted]
        return f"its shape is {list(shape)}; digitpad needs {pretty}"
    if not all(1 <= dim <= MAX_CHANNELS for dim in shape[: 1 if is_layer else 2]):
        return f"it has {list(shape[:2])} channels; digitpad shows 1 to {MAX_CHANNELS}"
    if not np.isfinite(value).all():
        return "its values are not all finite"
    return None


def _checked_probabilities(probabilities: np.ndarray, count: int) -> np.ndarray:
    """The model's output if it is (count, 10) probabilities; else InferenceError says what it is."""
    if probabilities.shape != (count, NUM_CLASSES) or not np.isfinite(probabilities).all():
        raise InferenceError(
            f"the model returned {probabilities.shape} values (finite: {bool(np.isfinite(probabilities).all())}) "
            f"for {count} images; expected {(count, NUM_CLASSES)} finite probabilities"
        )
    sums = probabilities.sum(axis=1, dtype=np.float64)
    if (probabilities < 0).any() or not np.allclose(sums, 1.0, atol=SUM_TOLERANCE):
        low, high = f"{float(sums.min()):.4g}", f"{float(sums.max()):.4g}"
        total = low if low == high else f"{low} to {high}"
        raise InferenceError(
            f"the model's '{OUTPUT_NAME}' are not probabilities: they sum to {total}"
            f" (lowest value {float(probabilities.min()):.4g})"
        )
    return probabilities
