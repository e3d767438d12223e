"""Training, evaluation and ONNX export of digitpad's convnet (PyTorch; not part of the app's wheel).

Run it as ``python -m training --help``; ``python -m training recipe --out runs/NAME`` makes a
model the way the shipped one was made. One module per job, in groups (imports run one way, no circle):

- base: `errors`, `config` (every setting), `model` (the network; running it over images),
  `augment`, `machine` (cores, device, bfloat16 or not);
- data: `data` (MNIST's IDX files, the validation split), `download` (mirrors, checksums),
  `unipen` (pen-drawn digits, placed on the canvas as a person draws them), `strokes`
  (stroke-level augmentation), `drawing_data` (training images rendered from pen digits);
- training: `checkpoint` (save, load, WiSE-FT interpolation), `trainer` (one run's state and step),
  `distill` (an ensemble teaching the network: a loss hook for the trainer), `train` (the loop);
- ONNX: `export` (calibrated, checked for parity), `embedding_output`, `layer_outputs` (graph
  surgery), `quantize` (int8), `ensemble`, `personal_model` (fine-tune on one person's profile);
- `evaluate/`: `mnist`, `drawings`, `numbers`, `adaptation`, each judging a model as the app runs it;
- `recipe` (every stage, resumable), `run_report` (the model card and training curves);
- `commands` (options and run of each command whose work needs torch or onnx), `__main__` (the command table).

Importing the package changes nothing in the environment: the entry points call `set_thread_policy`.
"""

from __future__ import annotations

import os


def set_thread_policy() -> None:
    """Passive OpenMP waiting, unless the environment already says otherwise; call before importing torch.

    OpenMP worker threads that spin while they wait make training 3-4x slower as soon as another
    process competes for the cores (measured: 420 vs 1,470 images/s with two threads on a busy
    2-core machine). Waiting passively costs little on an idle machine. Importing `training` sets
    nothing: a library that changes the environment on import surprises the program that imports
    it, and works only if it is imported before numpy and torch.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
