"""Training, evaluation and ONNX export of digitpad's convnet (PyTorch; not part of the app's wheel).

Run it as ``python -m training --help``. One module per job: `data` (IDX files, checksums),
`download` (mirrors), `model` (the network), `augment`, `config` (the recipe), `train`,
`checkpoint`, `evaluate`, `export`.
"""

import os

# OpenMP worker threads that spin while they wait make training 3-4x slower as soon as another
# process competes for the cores (measured: 420 vs 1,470 images/s with two threads on a busy
# 2-core machine). Waiting passively costs little on an idle machine. This must be set before
# torch is first imported; an explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
