"""Training, evaluation and ONNX export of digitpad's convnet (PyTorch; not part of the app's wheel).

Run it as ``python -m training --help``; ``python -m training recipe --out runs/NAME`` makes a
model the way the shipped one was made. One module per job:

- the recipe: `recipe` (every stage, resumable), `config` (every setting), `train` (the loop),
  `trainer` (one run's state and step), `model` (the network), `augment`, `machine` (cores,
  device, bfloat16 or not), `threads` (the OpenMP wait policy, set by entry points);
- data: `data` (MNIST's IDX files), `download` (mirrors), `checksums`, `split` (validation
  hold-out), `unipen` (pen-drawn digits), `replay` (placing them on the canvas),
  `drawing_data` (training images rendered from them);
- after training: `checkpoint`, `interpolate` (WiSE-FT), `calibrate`, `export` (ONNX),
  `evaluate` (MNIST test), `evaluate_drawings` (pen drawings, writer-disjoint),
  `run_report` (the run's model-card figures and training curves), `tensors` and
  `onnx_predict` (batched prediction with PyTorch and with the app's Classifier), `errors`.

Importing the package changes nothing in the environment: the entry points set the thread policy.
"""
