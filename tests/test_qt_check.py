"""Before Qt loads: no display, or libraries Qt's xcb plugin lacks, is one paragraph and exit 1, never a core dump."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitpad import qt_check
from tests.conftest import REPO

LACKING = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def no_libraries_missing() -> list[str]:
    return []


def test_no_display_is_said_with_the_commands_that_need_none() -> None:
    text = qt_check.window_problem([], {}, no_libraries_missing)
    assert text is not None and "there is no display" in text
    for command in ("digitpad classify", "digitpad --self-test", "digitpad teach", "digitpad profile"):
        assert command in text
    assert qt_check.window_problem(["-platform", "xcb"], {"WAYLAND_DISPLAY": "wayland-0"}) is not None


@pytest.mark.parametrize("environ", [
    {"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "vnc:size=800x600"}, {"WAYLAND_DISPLAY": "wayland-0"},
    {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"},
])
def test_no_x11_check_where_qt_will_not_use_x11(environ: dict[str, str]) -> None:
    def fail() -> list[str]:
        raise AssertionError("the xcb plugin was checked")

    assert qt_check.window_problem([], environ, fail) is None


def test_missing_libraries_are_named_with_the_lines_that_install_them() -> None:
    text = qt_check.window_problem([], {"DISPLAY": ":0"}, lambda: LACKING)
    assert text is not None
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in text
    assert "`sudo apt-get install libxcb-icccm4 libxcb-keysyms1`" in text
    assert "`sudo dnf install xcb-util-wm xcb-util-keysyms`" in text
    assert "xcb-cursor" not in text  # Qt's own message blames it whatever is missing
    assert qt_check.window_problem([], {"DISPLAY": ":0"}, no_libraries_missing) is None


def test_an_unknown_library_is_still_named() -> None:
    apt, dnf = qt_check.install_lines(["libxcb-cursor.so.0", "libnew.so.3"])
    assert apt == "sudo apt-get install libxcb-cursor0 libnew.so.3"
    assert dnf.startswith("sudo dnf install xcb-util-cursor")
    assert "a guess" in qt_check.missing_libraries_text(["libnew.so.3"])


def test_the_libraries_come_from_ldd_on_the_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ldd = tmp_path / "ldd"
    ldd.write_text("#!/bin/sh\necho '\tlibQt6XcbQpa.so.6 => /x/libQt6XcbQpa.so.6 (0x1)'\n"
                   "echo '\tlibxcb-icccm.so.4 => not found'\necho '\tlibxcb-keysyms.so.1 => not found'\n"
                   "echo '\tlibxcb-icccm.so.4 => not found'\n")
    ldd.chmod(0o755)
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"\x7fELF")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert qt_check.missing_xcb_libraries(plugin) == LACKING
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    assert qt_check.missing_xcb_libraries(plugin) == []  # no ldd: Qt tries, and its failure is caught


def test_the_real_plugin_is_found_and_checked_without_loading_qt() -> None:
    plugin = qt_check.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    script = ("import sys; from digitpad import qt_check; qt_check.missing_xcb_libraries(); "
              "qt_check.window_problem([], {'DISPLAY': ':0'}); print(sorted(m for m in sys.modules if 'Qt' in m))")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_qt_options_are_split_from_ours() -> None:
    ours, qt = qt_check.split_qt_options(["--model", "m.onnx", "-style", "fusion", "a.json", "-reverse", "--",
                                          "-x", "--model"])
    assert ours == ["--model", "m.onnx", "a.json"] and qt == ["-style", "fusion", "-reverse", "-x", "--model"]
    assert qt_check.platform_asked(["-platform", "offscreen"], {"QT_QPA_PLATFORM": "xcb"}) == "offscreen"


def run_digitpad(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "digitpad"], cwd=REPO, env={**env, **environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120, check=False)


def test_digitpad_without_a_display_exits_1_with_a_paragraph() -> None:
    done = run_digitpad({})
    assert done.returncode == 1, done.stderr  # not 134 (abort) or -6
    assert done.stderr.startswith("digitpad cannot open its window: there is no display")
    assert done.stderr.count("\n") == 1  # one paragraph


def test_a_display_nobody_serves_exits_1_with_a_paragraph(tmp_path: Path) -> None:
    """Past the checks made before Qt, Qt's own fatal error is caught: the same kind of paragraph."""
    number = 4000 + os.getpid() % 1000
    assert not Path(f"/tmp/.X11-unix/X{number}").exists()
    done = run_digitpad({"DISPLAY": f":{number}", "HOME": str(tmp_path)})
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("digitpad cannot open its window: "), done.stderr
    assert "digitpad --self-test" in done.stderr


def test_a_fatal_qt_message_is_one_paragraph_without_the_misleading_hint() -> None:
    text = qt_check.qt_fatal_text(
        "This application failed to start because no Qt platform plugin could be initialized.",
        ["qt.qpa.xcb: could not connect to display :9",
         "From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb platform plugin."], ":9")
    assert text.startswith("digitpad cannot open its window: Qt could not start on the display :9")
    assert "could not connect to display :9" in text and "xcb-cursor0" not in text and "\n" not in text
