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
#: attribute `normalize` is the `digitpad.normalize` module once anything has imported it.)
_EXPORTS = {
    "CONFIDENCE_THRESHOLD": "digitpad.recognizer",
    "Classifier": "digitpad.classifier",
    "DEFAULT_CANVAS_SIZE": "digitpad.ink",
    "DEFAULT_PEN_WIDTH": "digitpad.ink",
    "DigitpadError": "digitpad.errors",
    "Drawing": "digitpad.ink",
    "DrawingError": "digitpad.errors",
    "FileReadError": "digitpad.errors",
    "IMAGE_SUFFIXES": "digitpad.image_file",
    "ImageFileError": "digitpad.errors",
    "InferenceError": "digitpad.errors",
    "MNIST": "digitpad.normalize",
    "ModelContractError": "digitpad.errors",
    "ModelError": "digitpad.errors",
    "ModelInfo": "digitpad.classifier",
    "ModelNotFoundError": "digitpad.errors",
    "ModelTimeoutError": "digitpad.errors",
    "Normalization": "digitpad.normalize",
    "Prediction": "digitpad.recognizer",
    "Recognizer": "digitpad.recognizer",
    "drawing_from_json": "digitpad.drawing_file",
    "drawing_input": "digitpad.recognizer",
    "drawing_to_json": "digitpad.drawing_file",
    "image_input": "digitpad.images",
    "load_drawing": "digitpad.drawing_file",
    "rasterize": "digitpad.raster",
    "read_image": "digitpad.image_file",
    "resolve_model_path": "digitpad.model_files",
    "save_drawing": "digitpad.drawing_file",
    "shipped_model_path": "digitpad.model_files",
}

__all__ = sorted(_EXPORTS)

if typing.TYPE_CHECKING:  # the names for type checkers; at run time __getattr__ loads them
    from digitpad.classifier import Classifier, ModelInfo  # noqa: F401
    from digitpad.drawing_file import drawing_from_json, drawing_to_json, load_drawing, save_drawing  # noqa: F401
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
    from digitpad.image_file import IMAGE_SUFFIXES, read_image  # noqa: F401
    from digitpad.images import image_input  # noqa: F401
    from digitpad.ink import DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, Drawing  # noqa: F401
    from digitpad.model_files import resolve_model_path, shipped_model_path  # noqa: F401
    from digitpad.normalize import MNIST, Normalization  # noqa: F401
    from digitpad.raster import rasterize  # noqa: F401
    from digitpad.recognizer import CONFIDENCE_THRESHOLD, Prediction, Recognizer, drawing_input  # noqa: F401


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'digitpad' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
