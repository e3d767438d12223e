"""Training, evaluation and ONNX export of digitpad's convnet (PyTorch; not part of the app's wheel).

Run it as ``python -m training --help``. One module per job: `data` (IDX files, checksums),
`download` (mirrors), `model` (the network), `augment`, `config` (the recipe), `train`,
`checkpoint`, `evaluate`, `export`.
"""
