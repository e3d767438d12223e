"""digitpad: draw a digit, see what a convnet reads, live.

The public surface is the pure core (no Qt, no torch): ink, rendering, MNIST-style normalization,
image files and the ONNX classifier. The Qt app lives in `digitpad.ui`, the command line in
`digitpad.cli`.

Names are loaded on first use (PEP 562), so that `import digitpad` loads neither numpy nor ONNX
Runtime and changes nothing in the process: an entry point can still configure the process
first (`digitpad.system.configure_process`).
"""

import importlib
import typing

__version__ = "0.1.0"

#: Each public name and the module it lives in. (`normalize` the function is not here: the package
#: attribute `normalize` is the `digitpad.ink.normalize` module once anything has imported it.)
_EXPORTS = {
    "CONFIDENCE_THRESHOLD": "digitpad.reading.prediction",
    "Classifier": "digitpad.model.classifier",
    "DEFAULT_CANVAS_SIZE": "digitpad.ink.drawing",
    "DEFAULT_PEN_WIDTH": "digitpad.ink.drawing",
    "DigitpadError": "digitpad.errors",
    "Drawing": "digitpad.ink.drawing",
    "DrawingError": "digitpad.errors",
    "FileReadError": "digitpad.errors",
    "IMAGE_SUFFIXES": "digitpad.ink.image_file",
    "ImageFileError": "digitpad.errors",
    "InferenceError": "digitpad.errors",
    "MNIST": "digitpad.ink.normalize",
    "ModelContractError": "digitpad.errors",
    "ModelError": "digitpad.errors",
    "ModelInfo": "digitpad.model.classifier",
    "ModelNotFoundError": "digitpad.errors",
    "ModelTimeoutError": "digitpad.errors",
    "Normalization": "digitpad.ink.normalize",
    "Prediction": "digitpad.reading.prediction",
    "Recognizer": "digitpad.reading.recognizer",
    "drawing_from_json": "digitpad.ink.drawing_file",
    "drawing_input": "digitpad.ink.model_input",
    "drawing_to_json": "digitpad.ink.drawing_file",
    "image_input": "digitpad.ink.model_input",
    "load_drawing": "digitpad.ink.drawing_file",
    "rasterize": "digitpad.ink.raster",
    "read_image": "digitpad.ink.image_file",
    "resolve_model_path": "digitpad.model.choice",
    "save_drawing": "digitpad.ink.drawing_file",
    "shipped_model_path": "digitpad.model.choice",
}

__all__ = sorted(_EXPORTS)

if typing.TYPE_CHECKING:  # the names for type checkers; at run time __getattr__ loads them
    from digitpad.errors import (  # noqa: F401
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
    from digitpad.ink.drawing import DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, Drawing  # noqa: F401
    from digitpad.ink.drawing_file import drawing_from_json, drawing_to_json, load_drawing, save_drawing  # noqa: F401
    from digitpad.ink.image_file import IMAGE_SUFFIXES, read_image  # noqa: F401
    from digitpad.ink.model_input import drawing_input, image_input  # noqa: F401
    from digitpad.ink.normalize import MNIST, Normalization  # noqa: F401
    from digitpad.ink.raster import rasterize  # noqa: F401
    from digitpad.model.choice import resolve_model_path, shipped_model_path  # noqa: F401
    from digitpad.model.classifier import Classifier, ModelInfo  # noqa: F401
    from digitpad.reading.prediction import CONFIDENCE_THRESHOLD, Prediction  # noqa: F401
    from digitpad.reading.recognizer import Recognizer  # noqa: F401


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'digitpad' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
