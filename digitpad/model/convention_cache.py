"""The conventions found for models, remembered by the model file's content, so each is probed once.

A small JSON file in the user's data folder (on Linux `~/.local/share/digitpad/model-conventions.json`),
keyed by the SHA-256 of the model file: a copy or a renamed file is known, an edited one is probed
again. Read bounded, written atomically; a missing or damaged file is an empty cache. What a person
chose (two conventions tied, or the best read poorly) is remembered the same way, so the app and
the command line use that choice from then on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from digitpad.errors import DigitpadError
from digitpad.files import read_regular_file, write_text_atomically
from digitpad.model.conventions import Convention
from digitpad.model.probe import PROBE_VERSION, Trial

#: Most bytes read from the cache file, and most models kept in it (the oldest are dropped).
MAX_CACHE_BYTES = 1024 * 1024
MAX_ENTRIES = 500
_HASH_BLOCK = 1 << 20


def model_digest(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a model file (not of any external data files it names), in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def default_cache_file() -> Path:
    return platformdirs.user_data_path("digitpad", appauthor=False) / "model-conventions.json"


@dataclass(frozen=True)
class Remembered:
    trial: Trial  #: the convention and how well it read the probe digits
    chosen: bool  #: the person chose it (digitpad alone could not)


class ConventionCache:
    """The remembered conventions in one JSON file: {"models": {sha256: entry}}, newest last."""

    def __init__(self, file: Path | None = None) -> None:
        self.file = file or default_cache_file()

    def _entries(self) -> dict[str, object]:
        try:
            document = json.loads(read_regular_file(self.file, MAX_CACHE_BYTES, "the convention cache"))
        except (DigitpadError, ValueError, RecursionError):
            return {}
        models = document.get("models") if isinstance(document, dict) else None
        return models if isinstance(models, dict) else {}

    def get(self, digest: str) -> Remembered | None:
        """The convention remembered for a model, if still valid: probed by this version, or chosen."""
        entry = self._entries().get(digest)
        if not isinstance(entry, dict):
            return None
        convention = Convention.from_json(entry.get("convention"))
        correct, count, loss, chosen = (entry.get(k) for k in ("correct", "count", "loss", "chosen"))
        if (
            convention is None
            or not isinstance(correct, int) or not isinstance(count, int) or not 0 <= correct <= count or count <= 0
            or not isinstance(loss, (int, float)) or not isinstance(chosen, bool)
            or (not chosen and entry.get("version") != PROBE_VERSION)
        ):
            return None
        return Remembered(Trial(convention, correct, count, float(loss)), chosen)

    def put(self, digest: str, remembered: Remembered) -> None:
        """Remember a model's convention; a cache that cannot be written is only a later probe's cost."""
        entries = self._entries()
        entries.pop(digest, None)
        trial = remembered.trial
        entries[digest] = {
            "convention": trial.convention.to_json(),
            "correct": trial.correct,
            "count": trial.count,
            "loss": trial.loss,
            "chosen": remembered.chosen,
            "version": PROBE_VERSION,
        }
        kept = dict(list(entries.items())[-MAX_ENTRIES:])
        with contextlib.suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(self.file, json.dumps({"models": kept}, indent=1) + "\n")
