"""digitpad: draw a digit, see what a convnet reads, live.

The public surface is the pure core (no Qt, no torch): ink, rendering, MNIST-style normalization
and the ONNX classifier. The Qt app lives in `digitpad.ui`, the command line in `digitpad.cli`.
"""

import os

# Process settings that must come before numpy and onnxruntime load (the user's own win):
# - ONNX Runtime 1.32 on Linux starts Microsoft's telemetry on import (a device id and an event
#   cache under ~/.cache/Microsoft) unless told not to; digitpad works offline.
# - numpy's OpenBLAS starts a thread per core even for normalization's tiny 28 x W products, and on
#   a busy machine waiting for them costs milliseconds per answer.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from digitpad.classifier import Classifier, ModelInfo
from digitpad.drawing_file import drawing_from_json, drawing_to_json, load_drawing, save_drawing
from digitpad.errors import (
    DigitpadError,
    DrawingError,
    FileReadError,
    ImageFileError,
    InferenceError,
    ModelContractError,
    ModelError,
    ModelNotFoundError,
    ModelTimeoutError,
)
from digitpad.ink import DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, Drawing
from digitpad.model_files import resolve_model_path, shipped_model_path
from digitpad.normalize import MNIST, Normalization, normalize
from digitpad.raster import rasterize
from digitpad.recognizer import CONFIDENCE_THRESHOLD, Prediction, Recognizer, drawing_input

__version__ = "0.1.0"

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "Classifier",
    "DEFAULT_CANVAS_SIZE",
    "DEFAULT_PEN_WIDTH",
    "DigitpadError",
    "Drawing",
    "DrawingError",
    "FileReadError",
    "ImageFileError",
    "InferenceError",
    "MNIST",
    "ModelContractError",
    "ModelError",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelTimeoutError",
    "Normalization",
    "Prediction",
    "Recognizer",
    "drawing_from_json",
    "drawing_input",
    "drawing_to_json",
    "load_drawing",
    "normalize",
    "rasterize",
    "resolve_model_path",
    "save_drawing",
    "shipped_model_path",
]
