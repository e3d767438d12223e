"""Training and inference figures for the seed convnet on this machine. Prints; asserts nothing.

    python benchmarks/bench_training.py --data-dir DIR                       # about 2 minutes
    python benchmarks/bench_training.py --data-dir DIR --full                # + stage 1 of the recipe
    python benchmarks/bench_training.py --data-dir DIR --precision-compare   # bf16 vs fp32, ~2 minutes

1. A short run: MNIST test accuracy against training wall time (the clock stops while the test
   set is evaluated), and the time at which it first reaches 99.0%.
2. Training images/s and the peak resident memory of the whole process.
3. Inference images/s, PyTorch vs ONNX Runtime (the app's Classifier), at batch 1 and 256.
4. With --full: stage 1 of the shipped model's recipe (wall time, test accuracy of best.pt).
5. With --precision-compare (instead of 1-4): training steps/s in bfloat16 and in float32, side
   by side, and the recipe's time computed from them: measured rates x the recipe's step counts,
   plus the measured rendering of the pen drawings and validation passes.

The machine may be shared: the load average is printed before and after, read figures with it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training import set_thread_policy  # noqa: E402

set_thread_policy()  # before torch loads OpenMP

import numpy as np  # noqa: E402
import torch  # noqa: E402

from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.system import usable_cpu_count  # noqa: E402
from training.augment import NO_AUGMENTATION  # noqa: E402
from training.checkpoint import load_checkpoint, model_from_checkpoint  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.data import Mnist  # noqa: E402
from training.download import obtain_mnist  # noqa: E402
from training.evaluate.mnist import probabilities_of  # noqa: E402
from training.export import export_checkpoint  # noqa: E402
from training.machine import choose_precision, native_bf16  # noqa: E402
from training.model import predict_logits, to_tensor  # noqa: E402
from training.recipe import QUICK, SHIPPED, Recipe  # noqa: E402
from training.train import train  # noqa: E402
from training.trainer import StepReport, Trainer, loss_and_accuracy  # noqa: E402

#: The short recipe: two epochs of plain images (augmentation pays off only in longer runs).
SHORT = TrainConfig(epochs=2, augment=NO_AUGMENTATION, ema_decay=0.0, peak_lr=2e-3, warmup_fraction=0.15)
TARGET = 0.99
EVAL_EVERY_STEPS = 40


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def short_run(mnist: Mnist, threads: int, folder: Path) -> Path:
    test_images = to_tensor(mnist.test_images)
    test_labels = torch.from_numpy(mnist.test_labels)
    curve: list[tuple[float, int, float]] = []

    def measure(report: StepReport) -> None:
        if report.global_step % EVAL_EVERY_STEPS and report.global_step != report.total_steps:
            return
        accuracy = (predict_logits(report.model, test_images).argmax(1) == test_labels).float().mean().item()
        curve.append((report.train_seconds, report.global_step * SHORT.batch_size, accuracy))
        print(f"  {report.train_seconds:7.1f} s  {report.global_step * SHORT.batch_size:7,d} images  "
              f"test accuracy {accuracy:.4f}", flush=True)

    print(f"short run: {SHORT.epochs} epochs of {60000 - SHORT.val_size:,} images, batch {SHORT.batch_size}, "
          f"no augmentation, {threads} thread(s); test accuracy vs training wall time:")
    result = train(SHORT, mnist, folder, threads=threads, on_step=measure, progress=False)
    reached = next((seconds for seconds, _, accuracy in curve if accuracy >= TARGET), None)
    verdict = f"reached {TARGET:.1%} after {reached:.1f} s of training" if reached else f"never reached {TARGET:.1%}"
    print(f"  → {verdict}; final test accuracy {curve[-1][2]:.4f} after {result.train_seconds:.1f} s")
    print(f"training throughput: {result.images_per_second:,.0f} images/s (forward, backward, AdamW step)")
    return result.best_path


def images_per_second(run: Callable[[], object], batch: int, min_seconds: float = 2.0) -> float:
    for _ in range(3):
        run()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < min_seconds:
        run()
        count += 1
    return count * batch / elapsed


def inference(checkpoint: Path, mnist: Mnist, threads: int, folder: Path) -> None:
    onnx_path = export_checkpoint(checkpoint, folder / "bench.onnx", mnist).path
    classifier = Classifier(onnx_path)
    model, _ = model_from_checkpoint(load_checkpoint(checkpoint))
    torch.set_num_threads(threads)
    print(f"inference images/s ({threads} PyTorch thread(s); ONNX Runtime through the app's Classifier):")
    for batch in (1, 256):
        images = mnist.test_images[:batch].astype(np.float32) / 255
        tensor = torch.from_numpy(images).unsqueeze(1)
        with torch.inference_mode():
            torch_rate = images_per_second(lambda: model(tensor), batch)  # noqa: B023 (used at once)
        onnx_rate = images_per_second(lambda: classifier.predict(images), batch)  # noqa: B023
        print(f"  batch {batch:3d}: PyTorch {torch_rate:9,.0f}   ONNX Runtime {onnx_rate:9,.0f}   "
              f"(ONNX Runtime batch latency {batch / onnx_rate * 1000:.3f} ms)")


def full_run(mnist: Mnist, threads: int, folder: Path) -> None:
    print(f"stage 1 of the shipped model's recipe ({TrainConfig().epochs} epochs on MNIST):", flush=True)
    started = time.perf_counter()
    result = train(TrainConfig(), mnist, folder / "full", threads=threads, progress=True)
    wall = time.perf_counter() - started
    probabilities = probabilities_of(result.best_path, mnist.test_images)
    accuracy = float((probabilities.argmax(1) == mnist.test_labels).mean())
    print(f"  wall time {wall:.0f} s ({wall / 60:.1f} min; {result.train_seconds:.0f} s in training steps, "
          f"{result.images_per_second:,.0f} images/s); best validation {result.best_val_accuracy:.4f}, "
          f"MNIST test accuracy {accuracy:.4f}")


def steps_per_second(trainer: Trainer, steps: int) -> tuple[float, float]:
    """Training steps/s of `trainer` (augmentation, forward, backward, AdamW, weight average), and
    the CPU seconds this process spent per step (all threads): less skewed by other processes."""
    order = trainer.epoch_order(0)
    batch = trainer.config.batch_size
    trainer.train_step(order[:batch])  # warm-up
    started, cpu_started = time.perf_counter(), time.process_time()
    for step in range(steps):
        trainer.train_step(order[step * batch : (step + 1) * batch])
    return steps / (time.perf_counter() - started), (time.process_time() - cpu_started) / steps


def rendering_per_second(count: int = 400) -> tuple[float, float]:
    """Pen drawings rendered per second for the pen stage (one core, as the trainer does it): wall, CPU."""
    from digitpad.ink.normalize import Normalization
    from training import unipen
    from training.drawing_data import drawing_dataset

    samples = unipen.load_samples()[:count]
    started, cpu_started = time.perf_counter(), time.process_time()
    drawing_dataset(samples, Normalization(pen=2.5), copies=1)
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu_started)


def recipe_steps(recipe: Recipe, pen_images: int) -> tuple[int, int, int]:
    """Training steps of stage 1, stage 2, and the epochs that end with a validation pass."""
    mnist_images = 60_000 - recipe.mnist.val_size
    stage1 = recipe.mnist.epochs * (mnist_images // recipe.mnist.batch_size)
    stage2 = recipe.pen.epochs * ((mnist_images + pen_images) // recipe.pen.batch_size)
    return stage1, stage2, recipe.mnist.epochs + recipe.pen.epochs


def precision_compare(mnist: Mnist, threads: int, steps: int) -> None:
    """bf16 and fp32 steps/s side by side (alternating blocks, so a change in load hits both), and recipe times."""
    torch.set_num_threads(threads)
    print(f"native bfloat16 (AVX512-BF16/AMX): {native_bf16()}; --precision auto picks "
          f"{'bf16' if choose_precision('auto') else 'fp32'}; {threads} thread(s)")
    trainers = {name: Trainer(TrainConfig(bf16=name == "bf16"), mnist, [], torch.device("cpu"))
                for name in ("bf16", "fp32")}
    rates: dict[str, list[float]] = {name: [] for name in trainers}
    cpu: dict[str, list[float]] = {name: [] for name in trainers}
    for block in range(2):
        for name, trainer in trainers.items():
            rate, cpu_per_step = steps_per_second(trainer, steps)
            rates[name].append(rate)
            cpu[name].append(cpu_per_step)
            print(f"  block {block + 1}: {name} {rate:5.1f} steps/s ({rate * 128:,.0f} images/s), "
                  f"{cpu_per_step * 1000:.0f} CPU-ms per step; load average {load_average()}", flush=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    loss_and_accuracy(trainers["fp32"].model, trainers["fp32"].val_images, trainers["fp32"].val_labels)
    validation, validation_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    render, render_cpu = rendering_per_second()
    pen_images = 8 * 8385
    print(f"validation pass: {validation:.1f} s ({validation_cpu:.1f} CPU-s); rendering pen drawings: "
          f"{render:,.0f} per second ({render_cpu:,.0f} per CPU-second)")
    print("recipe time = steps / measured steps/s + epochs x validation pass + pen drawings / rendering rate")
    # Measured: the best block's wall rate. Idle: the CPU time per step spread over the threads,
    # what the steps would take with the cores to themselves (perfect scaling: a lower bound).
    step_seconds = {"bf16 measured": 1 / max(rates["bf16"]), "fp32 measured": 1 / max(rates["fp32"]),
                    "bf16 idle": min(cpu["bf16"]) / threads, "fp32 idle": min(cpu["fp32"]) / threads}
    print(f"{'recipe':>8} {'stage 1 steps':>14} {'stage 2 steps':>14} "
          + " ".join(f"{name + ' min':>17}" for name in step_seconds))
    for title, recipe, images in (("shipped", SHIPPED, pen_images), ("--quick", QUICK, 2 * 8385)):
        stage1, stage2, epochs = recipe_steps(recipe, images)
        fixed = {"measured": epochs * validation + images / render,
                 "idle": epochs * validation_cpu / threads + images / render_cpu}
        print(f"{title:>8} {stage1:14,d} {stage2:14,d} " + " ".join(
            f"{((stage1 + stage2) * seconds + fixed[name.split()[1]]) / 60:17.1f}"
            for name, seconds in step_seconds.items()))
    print("(measured: the best block's wall rate under this load; idle: CPU time per step / threads; "
          "export and evaluation add under a minute)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="MNIST folder (default: as python -m training)")
    parser.add_argument("--threads", type=int, default=usable_cpu_count(), help="CPU threads (default: all cores)")
    parser.add_argument("--full", action="store_true", help="also time stage 1 of the shipped model's recipe")
    parser.add_argument("--precision-compare", action="store_true",
                        help="only compare bf16 and fp32 training speed, and the recipe times they give")
    parser.add_argument("--steps", type=int, default=150, help="training steps per timed block (--precision-compare)")
    args = parser.parse_args()
    mnist = obtain_mnist(args.data_dir, progress=False)
    print(f"{os.cpu_count()} CPUs, torch {torch.__version__}, load average {load_average()}")
    if args.precision_compare:
        precision_compare(mnist, args.threads, args.steps)
        print(f"load average at the end: {load_average()}")
        return
    with tempfile.TemporaryDirectory(prefix="digitpad-bench-") as folder:
        checkpoint = short_run(mnist, args.threads, Path(folder) / "short")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident memory of this process after training: {peak_mib:,.0f} MiB")
        inference(checkpoint, mnist, args.threads, Path(folder))
        if args.full:
            full_run(mnist, args.threads, Path(folder))
            peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak resident memory after the full recipe: {peak_mib:,.0f} MiB")
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
