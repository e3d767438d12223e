"""One exception hierarchy for everything a person can get wrong or the machine can fail at.

Every message names the file or value at fault and what was expected, so that a person can act on
it without reading a traceback.
"""

from __future__ import annotations


class DigitpadError(Exception):
    """Base class of every error digitpad reports to a person."""


class DrawingError(DigitpadError):
    """A drawing (strokes or a drawing JSON file) is malformed or out of range."""


class ImageFileError(DigitpadError):
    """An image file cannot be read, is corrupt, or is too large to decode safely."""


class ModelError(DigitpadError):
    """An ONNX model cannot be used by digitpad."""


class ModelNotFoundError(ModelError):
    """No model file exists at the given or default location."""


class ModelContractError(ModelError):
    """A model file loads but breaks the ONNX contract (input, output, shapes or types)."""


class ModelConventionError(ModelContractError):
    """digitpad cannot tell how to feed a model of another convention: two ways read MNIST digits alike,
    or none reads them well. `choices` holds what the person may choose from (`digitpad.model.probe.Trial`);
    empty when the model is refused outright (not a digit classifier)."""

    def __init__(self, message: str, choices: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.choices = choices


class InferenceError(ModelError):
    """A model that passed validation failed while running."""


class ModelTimeoutError(InferenceError):
    """A model ran past its time limit and was stopped (a hostile or broken graph that never ends)."""


class FileReadError(DigitpadError):
    """A file cannot be read safely: not a regular file, too large, or unreadable."""


class UnsupportedFileError(DigitpadError):
    """A file of a kind the command does not read (its name's ending says so); the message lists what it reads."""


class BlankInputError(DigitpadError):
    """A drawing or image holds no ink: there is nothing to read, which is no fault of the model."""


class SampleLabelError(DigitpadError):
    """A file to be taught does not say which one digit it shows (no label, or a label of several digits)."""


class ProfileError(DigitpadError):
    """A profile file cannot be used: corrupt, made by a newer digitpad, not writable, or none is open.

    The subclasses say whether the file is to blame (only `UnusableProfileError` sets a profile aside)."""


class UnusableProfileError(ProfileError):
    """The file is not a profile digitpad can use (corrupt, another program's, newer, hostile):
    the only kind of profile error that sets the person's own profile aside."""


class ProfileStorageError(ProfileError):
    """The disk failed the profile (full, an I/O error, read-only): the file is not to blame and stays."""


class ProfileLockedError(ProfileError):
    """Another program holds the profile's lock; trying again later may work."""


class SelfTestFailure(DigitpadError):
    """One check found a problem; the message says what and where."""


class TrainingRunError(DigitpadError):
    """A training run cannot be started, deleted or exported: a name taken, another run in progress."""
