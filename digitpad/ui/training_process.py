"""`python -m training ...` as a child process: the app never imports torch, and a crash stays in the child.

`TrainingProcess` runs one command at a time with `QProcess`; every JSON object the command writes
on standard output (`recipe --progress-json -`) becomes a `line` signal, and the end a `finished`
signal with the exit code and the last lines of standard error (the command's own error message).
The child runs at a lower CPU priority than the app, so that drawing stays smooth while it trains.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal, Slot

#: How much nicer than the app the training runs (POSIX nice increment).
CHILD_NICENESS = 10
#: Standard error kept for the message of a failed command (its last lines).
STDERR_KEPT = 8_000


def default_training_command() -> list[str]:
    """`python -m training` with this interpreter: the one the app runs in (and that has torch, or not)."""
    return [sys.executable, "-m", "training"]


def training_available() -> bool:
    """Whether this installation can train: torch and the `training` package are importable (neither imported)."""
    for name in ("torch", "training"):
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def install_command() -> str:
    """The one command that installs the training extra for this installation."""
    python = sys.executable
    spec = None
    with contextlib.suppress(ImportError, ValueError):
        spec = importlib.util.find_spec("training")
    if spec is not None and spec.origin:
        source = Path(spec.origin).resolve().parents[1]
        if (source / "pyproject.toml").is_file():  # a source checkout: its own extra
            return f'{python} -m pip install -e "{source}[train]"'
    # A wheel (or the bundle) has no training code: the extra comes with digitpad's source.
    return f'cd DIGITPAD-SOURCE && {python} -m pip install -e ".[train]"  (DIGITPAD-SOURCE: a clone of digitpad)'


class TrainingProcess(QObject):
    """One training command at a time; see the module docstring."""

    line = Signal(dict)  # a JSON object from standard output
    finished = Signal(int, str)  # exit code (-1: crashed or killed), standard error's last lines

    def __init__(self, command: Sequence[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.command = list(command or default_training_command())
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self.process.started.connect(self._lower_priority)
        self._stdout = b""
        self._stderr = b""
        self._ended = True

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    @property
    def pid(self) -> int:
        return int(self.process.processId())

    def start(self, arguments: Sequence[str]) -> None:
        """Start `command + arguments`; refused (RuntimeError) while one runs."""
        if self.running:
            raise RuntimeError("a training command is running already")
        self._stdout, self._stderr, self._ended = b"", b"", False
        self.process.start(self.command[0], [*self.command[1:], *arguments])

    def stop(self) -> None:
        """Ask the command to stop (SIGTERM): a training saves a checkpoint after its step and exits."""
        if self.running:
            self.process.terminate()

    def kill(self) -> None:
        if self.running:
            self.process.kill()

    def wait(self, milliseconds: int) -> bool:
        return bool(self.process.waitForFinished(milliseconds))

    @Slot()
    def _lower_priority(self) -> None:
        if hasattr(os, "setpriority"):
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, self.pid, CHILD_NICENESS)

    @Slot()
    def _read_stdout(self) -> None:
        self._stdout += bytes(self.process.readAllStandardOutput().data())
        *lines, self._stdout = self._stdout.split(b"\n")
        for raw in lines:
            try:
                record = json.loads(raw)
            except ValueError:
                continue  # not a progress line: the command's other output
            if isinstance(record, dict):
                self.line.emit(record)

    @Slot()
    def _read_stderr(self) -> None:
        self._stderr = (self._stderr + bytes(self.process.readAllStandardError().data()))[-STDERR_KEPT:]

    def stderr_tail(self) -> str:
        return self._stderr.decode("utf-8", "replace").strip()

    @Slot(int, QProcess.ExitStatus)
    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        self._end(code if status == QProcess.ExitStatus.NormalExit else -1)

    @Slot(QProcess.ProcessError)
    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:  # no finished signal follows
            self._stderr += f"cannot start {self.command[0]}: {self.process.errorString()}".encode()
            self._end(-1)

    def _end(self, code: int) -> None:
        if not self._ended:
            self._ended = True
            self.finished.emit(code, self.stderr_tail())

    @staticmethod
    def error_message(stderr: str) -> str:
        """The command's own message: its `error: ...` line, else its last line."""
        lines = [line for line in stderr.splitlines() if line.strip()]
        errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
        return errors[-1] if errors else (lines[-1] if lines else "it ended without a message")

