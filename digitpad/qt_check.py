"""Can Qt open a window here? Asked before Qt loads, so that a machine without a display or without
the X11 libraries gets one clear paragraph and exit 1, never Qt's abort (a core dump).

Two checks run before the QApplication exists: is there a display at all, and can the dynamic
loader find every library Qt's xcb platform plugin needs (`ldd` on `libqxcb.so`, which also follows
its `libQt6XcbQpa`)? Qt's own message for a missing library names libxcb-cursor0 whatever is really
missing, so the libraries are named here, with the packages to install. What these checks cannot
foresee (a display that refuses the connection, say) is caught by `catch_qt_fatal`, which turns
Qt's fatal message into the same kind of paragraph.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: What works without a window, said in every paragraph about a window that cannot open.
WITHOUT_A_WINDOW = (
    "Without a window, `digitpad classify FILES...` reads images and drawings in the terminal, "
    "`digitpad teach` and `digitpad profile` keep your samples, and `digitpad --self-test` checks "
    "this installation."
)
#: The packages that hold each library Qt's xcb plugin may need: (Debian/Ubuntu, Fedora).
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}
#: Qt's options that take a value (`-platform offscreen`), as QGuiApplication reads them.
QT_VALUE_OPTIONS = frozenset({
    "-platform", "-platformpluginpath", "-platformtheme", "-plugin", "-qwindowgeometry", "-qwindowicon",
    "-qwindowtitle", "-style", "-stylesheet", "-session", "-display", "-geometry", "-font", "-fn",
    "-background", "-bg", "-foreground", "-fg", "-button", "-btn", "-name", "-title", "-visual", "-im",
})
#: Qt's options that stand alone.
QT_FLAG_OPTIONS = frozenset({"-reverse", "-widgetcount", "-nograb", "-dograb", "-sync", "-testability"})
#: `ldd` on the plugin takes a few milliseconds; this only bounds a hang.
LDD_TIMEOUT_S = 10.0


def split_qt_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(digitpad's arguments, Qt's): Qt's known options with their values, and all after `--`."""
    ours: list[str] = []
    qt: list[str] = []
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        if item == "--":
            qt += items[index + 1:]
            break
        name = item.split("=", 1)[0]
        if item in QT_VALUE_OPTIONS and index + 1 < len(items):
            qt += items[index:index + 2]
            index += 2
            continue
        if name in QT_FLAG_OPTIONS or name in QT_VALUE_OPTIONS or name.startswith("-qmljsdebugger"):
            qt.append(item)
        else:
            ours.append(item)
        index += 1
    return ours, qt


def platform_asked(qt_args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The Qt platform plugin asked for with `-platform` or QT_QPA_PLATFORM (its first choice), if any."""
    asked = environ.get("QT_QPA_PLATFORM", "")
    for option, value in zip(qt_args, qt_args[1:]):
        if option == "-platform":
            asked = value
    first = asked.split(";")[0].split(":")[0].strip()
    return first or None


def window_problem(
    qt_args: Sequence[str], environ: Mapping[str, str], missing: Callable[[], list[str]] | None = None
) -> str | None:
    """Why Qt cannot open a window here, as one paragraph; None when it should (or cannot be told).

    `missing` finds the libraries the xcb plugin lacks (default: `missing_xcb_libraries`).
    """
    platform = platform_asked(qt_args, environ)
    if platform not in (None, "xcb", "wayland", "wayland-egl"):
        return None  # offscreen, vnc, eglfs...: nothing of a desktop's to check
    has_x = bool(environ.get("DISPLAY")) or "-display" in qt_args
    has_wayland = bool(environ.get("WAYLAND_DISPLAY"))
    if (platform is None and not (has_x or has_wayland)) or (platform == "xcb" and not has_x):
        return no_display_text()
    # Qt tries Wayland first in a Wayland session; elsewhere, with a DISPLAY, it uses X11 (xcb).
    wayland_session = has_wayland and environ.get("XDG_SESSION_TYPE") == "wayland"
    uses_xcb = platform == "xcb" or (platform is None and has_x and not wayland_session)
    if not uses_xcb:
        return None
    lacking = (missing or missing_xcb_libraries)()
    return missing_libraries_text(lacking) if lacking else None


def no_display_text() -> str:
    return ("digitpad cannot open its window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is "
            f"set, as over ssh or in a container). {WITHOUT_A_WINDOW} To open the window, run digitpad in a "
            "desktop session, over `ssh -X`, or under Xvfb (`xvfb-run digitpad`).")


def install_lines(libraries: Sequence[str]) -> tuple[str, str]:
    """The apt-get line for Debian/Ubuntu and the dnf line for Fedora that install `libraries`."""
    debian = dict.fromkeys(PACKAGES.get(name, (name, name))[0] for name in libraries)
    fedora = dict.fromkeys(PACKAGES.get(name, (name, name))[1] for name in libraries)
    return f"sudo apt-get install {' '.join(debian)}", f"sudo dnf install {' '.join(fedora)}"


def missing_libraries_text(libraries: Sequence[str]) -> str:
    apt, dnf = install_lines(libraries)
    unknown = [name for name in libraries if name not in PACKAGES]
    guess = (f" ({', '.join(unknown)}: the package name is a guess; your distribution's package search "
             "finds the file)") if unknown else ""
    return (f"digitpad cannot open its window: Qt's X11 plugin needs system libraries that are not installed: "
            f"{', '.join(libraries)}. Install them, on Debian or Ubuntu with `{apt}`, on Fedora with "
            f"`{dnf}`{guess}, then start digitpad again. {WITHOUT_A_WINDOW}")


#: Qt's warning before any failed xcb start, whatever is really missing: left out of the paragraph.
MISLEADING = "xcb-cursor0 or libxcb-cursor0 is needed"


def qt_fatal_text(message: str, earlier: Sequence[str] = (), display: str | None = None) -> str:
    """Qt gave up starting (it would abort next): what it said first and last, and what still works."""
    said = [" ".join(line.split()) for line in (*earlier, message) if MISLEADING not in line]
    where = f" on the display {display}" if display else ""
    return (f"digitpad cannot open its window: Qt could not start{where} (it says: {'; '.join(said)[:600]}). "
            f"{WITHOUT_A_WINDOW}")


def xcb_plugin() -> Path | None:
    """PySide6's `libqxcb.so`, found without importing Qt; None when it is not where it should be."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_xcb_libraries(plugin: Path | None = None) -> list[str]:
    """The libraries the dynamic loader cannot find for the xcb plugin, in `ldd`'s order.

    Empty when all are found, and also when it cannot be told (no plugin file, no `ldd`): Qt then
    tries, and `catch_qt_fatal` words its failure. In the standalone bundle the bundle's own folder
    is searched as well, as its start-up does.
    """
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    environ = dict(os.environ)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        environ["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [bundle, environ.get("LD_LIBRARY_PATH")]))
    try:
        done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, env=environ,
                              timeout=LDD_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    missing = [line.split()[0] for line in done.stdout.splitlines() if "=> not found" in line]
    return list(dict.fromkeys(missing))


def catch_qt_fatal(err: Callable[[str], None]) -> Callable[[], None]:
    """Until the returned function is called, Qt's messages are held back, and a fatal one (which
    Qt would follow with abort) is written as one paragraph through `err` and ends the process with
    exit 1. Calling the returned function, once the window is up, puts back the handler there was
    (Qt's own, or a test's) and passes the held messages on to stderr.

    Held back because Qt's warnings before a failed start mislead (they name libxcb-cursor0
    whatever is missing).
    """
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    held: list[str] = []

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if kind == QtMsgType.QtFatalMsg:
            err(qt_fatal_text(message, [m for m in held if "qpa" in m or "display" in m][:3],
                              os.environ.get("DISPLAY")))
            os._exit(1)  # Qt would abort() next: a core dump
        held.append(f"{context.category}: {message}" if context.category not in (None, "default") else message)

    previous = qInstallMessageHandler(handler)

    def release() -> None:
        qInstallMessageHandler(previous)
        for line in held:
            sys.stderr.write(line + "\n")
        held.clear()

    return release
