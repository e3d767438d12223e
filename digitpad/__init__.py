"""digitpad: draw a digit, see what a convnet reads, live.

The public surface is the pure core (no Qt, no torch): ink, rendering, MNIST-style normalization
and the ONNX classifier. The Qt app lives in `digitpad.ui`, the command line in `digitpad.cli`.
"""

from digitpad.classifier import Classifier, ModelInfo
from digitpad.drawing_file import drawing_from_json, drawing_to_json, load_drawing, save_drawing
from digitpad.errors import (
    DigitpadError,
    DrawingError,
    ImageFileError,
    InferenceError,
    ModelContractError,
    ModelError,
    ModelNotFoundError,
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
    "ImageFileError",
    "InferenceError",
    "MNIST",
    "ModelContractError",
    "ModelError",
    "ModelInfo",
    "ModelNotFoundError",
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
