"""Training's errors, inside digitpad's one hierarchy: each message names the file or value at fault."""

from __future__ import annotations

from digitpad.errors import DigitpadError


class DatasetError(DigitpadError):
    """A data file is missing, corrupt, truncated, or not the file it claims to be."""


class DownloadError(DatasetError):
    """No mirror gave a file whose content matched its checksum."""


class CheckpointError(DigitpadError):
    """A checkpoint is missing, unreadable, or does not fit the run that wants it."""


class ExportError(DigitpadError):
    """The ONNX export failed a check; the previous model file was left untouched."""
