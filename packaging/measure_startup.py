"""How long the bundled app takes from launch to its window on screen, cold and warm.

    python3 measure_startup.py BUNDLE/digitpad [--runs 5] [--screenshot shot.png --qt-python PY]

It starts a private Xvfb, launches the app in a clean environment (HOME, PATH and DISPLAY only:
no Python, no virtual environment) and stops the clock at the X server's MapNotify for the app's
first top-level window: the moment the window is put on screen. Before every cold run the
bundle's files are dropped from the page cache (posix_fadvise DONTNEED), as after a reboot; a
warm run follows each cold one and finds them cached. The system's own libraries (libc, libGL,
fontconfig) stay cached, as they are on any running desktop.

Standard library only, so it runs with any python3; X is reached through libX11 with ctypes.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MAP_NOTIFY = 19  # X11's event type numbers
REPARENT_NOTIFY = 21
CLIENT_MESSAGE = 33
STRUCTURE_NOTIFY_MASK = 1 << 17  # Qt answers a _NET_WM_PING to the root window with this mask
SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
SUBSTRUCTURE_REDIRECT_MASK = 1 << 20
#: A launch that shows no window in this many seconds counts as failed.
WINDOW_TIMEOUT_S = 30.0
#: A 7 for the screenshot, as fractions of the window's width and height: a bar, then down-left.
#: The app's canvas fills most of the window's left part.
SEVEN_STROKE = ((0.20, 0.22), (0.42, 0.22), (0.37, 0.40), (0.30, 0.75))


class XMapEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("event", ctypes.c_ulong),
        ("window", ctypes.c_ulong),
        ("override_redirect", ctypes.c_int),
    ]


class XReparentEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("event", ctypes.c_ulong),
        ("window", ctypes.c_ulong),
        ("parent", ctypes.c_ulong),
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("override_redirect", ctypes.c_int),
    ]


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [
        ("type", ctypes.c_int),
        ("xmap", XMapEvent),
        ("xreparent", XReparentEvent),
        ("xclient", XClientMessageEvent),
        ("pad", ctypes.c_long * 24),
    ]


@dataclass(frozen=True)
class StartupTimes:
    cold: list[float]
    warm: list[float]
    load_average: float  #: the machine's 1-minute load average just before: how busy it was


class XServer:
    """A private Xvfb and an Xlib connection that watches for top-level windows being mapped."""

    def __init__(self, window_manager: str | None = None) -> None:
        """`window_manager`: a command (e.g. openbox) run on the display, as on a desktop."""
        if shutil.which("Xvfb") is None:
            raise SystemExit("measure_startup: Xvfb is not installed (apt-get install xvfb)")
        self.window_manager: subprocess.Popen[bytes] | None = None
        read_end, write_end = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write_end)
        with os.fdopen(read_end) as stream:  # Xvfb writes its display number here once it is ready
            self.display = f":{stream.readline().strip()}"
        self.xlib = ctypes.CDLL(ctypes.util.find_library("X11"))
        self.xlib.XOpenDisplay.restype = ctypes.c_void_p
        self.xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        self.xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.xlib.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        for name in ("XFlush", "XPending", "XConnectionNumber", "XCloseDisplay"):
            getattr(self.xlib, name).argtypes = [ctypes.c_void_p]
        self.xlib.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.connection = self.xlib.XOpenDisplay(self.display.encode())
        if not self.connection:
            raise SystemExit(f"measure_startup: cannot connect to Xvfb on {self.display}")
        self.root = self.xlib.XDefaultRootWindow(self.connection)
        self.xlib.XSelectInput(self.connection, self.root, SUBSTRUCTURE_NOTIFY_MASK | STRUCTURE_NOTIFY_MASK)
        self.xlib.XFlush(self.connection)
        self.xlib.XInternAtom.restype = ctypes.c_ulong
        self.xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.xlib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        self.xlib.XGetSelectionOwner.restype = ctypes.c_ulong
        self.xlib.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        if window_manager:
            self.start_window_manager(window_manager)

    def start_window_manager(self, command: str, timeout: float = 30.0) -> None:
        """Run the window manager and wait until it owns the screen (the WM_S0 selection, ICCCM 2.8)."""
        if shutil.which(command) is None:
            raise SystemExit(f"measure_startup: {command} is not installed (apt-get install {command})")
        self.window_manager = subprocess.Popen(
            [command], env={**os.environ, "DISPLAY": self.display}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        selection = self.xlib.XInternAtom(self.connection, b"WM_S0", False)
        deadline = time.perf_counter() + timeout
        while not self.xlib.XGetSelectionOwner(self.connection, selection):
            if time.perf_counter() > deadline or self.window_manager.poll() is not None:
                raise SystemExit(f"measure_startup: {command} did not start on {self.display}")
            time.sleep(0.02)
        self.drain_events()

    def drain_events(self) -> None:
        event = XEvent()
        while self.xlib.XPending(self.connection):
            self.xlib.XNextEvent(self.connection, ctypes.byref(event))

    def wait_until_interactive(self, deadline: float) -> float:
        """When (perf_counter) a new top-level window was on screen and its event loop answered.

        With a window manager, the client window is reparented into the manager's frame, which is
        then mapped; a _NET_WM_PING sent to the client then comes back (to the root window) only
        once its event loop runs: the moment a person's click would be handled.
        """
        if self.window_manager is None:
            raise RuntimeError("wait_until_interactive needs a window manager (XServer(window_manager=...))")
        protocols = self.xlib.XInternAtom(self.connection, b"WM_PROTOCOLS", False)
        ping = self.xlib.XInternAtom(self.connection, b"_NET_WM_PING", False)
        event = XEvent()
        fd = self.xlib.XConnectionNumber(self.connection)
        client = frame_mapped = None
        while time.perf_counter() < deadline:
            while self.xlib.XPending(self.connection):
                self.xlib.XNextEvent(self.connection, ctypes.byref(event))
                if event.type == REPARENT_NOTIFY and client is None:
                    client = event.xreparent.window
                elif event.type == MAP_NOTIFY and client is not None and not event.xmap.override_redirect:
                    frame_mapped = True
                    self._send_ping(client, protocols, ping)
                elif (event.type == CLIENT_MESSAGE and frame_mapped and event.xclient.message_type == protocols
                      and event.xclient.data[0] == ping and event.xclient.data[2] == client):
                    return time.perf_counter()
            select.select([fd], [], [], max(0.0, min(0.05, deadline - time.perf_counter())))
            if frame_mapped and client is not None:
                self._send_ping(client, protocols, ping)  # again, in case the first came before its event loop ran
        raise TimeoutError

    def _send_ping(self, client: int, protocols: int, ping: int) -> None:
        message = XEvent()
        message.xclient.type = CLIENT_MESSAGE
        message.xclient.window = client
        message.xclient.message_type = protocols
        message.xclient.format = 32
        message.xclient.data[0] = ping
        message.xclient.data[1] = 0  # CurrentTime
        message.xclient.data[2] = client
        self.xlib.XSendEvent(self.connection, client, False, 0, ctypes.byref(message))
        self.xlib.XFlush(self.connection)

    def wait_for_window(self, deadline: float) -> tuple[float, int]:
        """When (perf_counter) a top-level window was mapped, and its id.

        No window manager runs, so every top-level window is a child of the root window; menus
        and tooltips set override_redirect and are skipped.
        """
        event = XEvent()
        fd = self.xlib.XConnectionNumber(self.connection)
        while time.perf_counter() < deadline:
            while self.xlib.XPending(self.connection):
                self.xlib.XNextEvent(self.connection, ctypes.byref(event))
                if event.type == MAP_NOTIFY and not event.xmap.override_redirect:
                    return time.perf_counter(), event.xmap.window
            select.select([fd], [], [], max(0.0, deadline - time.perf_counter()))
        raise TimeoutError

    def drag_mouse(self, window: int, stroke: tuple[tuple[float, float], ...], steps_per_segment: int = 25) -> None:
        """Press the left button, move along the stroke (window fractions), release (XTest)."""
        xtst = ctypes.CDLL(ctypes.util.find_library("Xtst"))
        xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        root, x, y = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_int()
        width, height, border, depth = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        self.xlib.XGetGeometry.argtypes = [ctypes.c_void_p, ctypes.c_ulong, *[ctypes.c_void_p] * 7]
        self.xlib.XGetGeometry(
            self.connection, window, *(ctypes.byref(v) for v in (root, x, y, width, height, border, depth))
        )

        def move(fx: float, fy: float) -> None:
            xtst.XTestFakeMotionEvent(
                self.connection, -1, x.value + round(fx * width.value), y.value + round(fy * height.value), 0
            )
            self.xlib.XFlush(self.connection)
            time.sleep(0.004)  # about a mouse's event rate

        move(*stroke[0])
        xtst.XTestFakeButtonEvent(self.connection, 1, True, 0)
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for step in range(1, steps_per_segment + 1):
                t = step / steps_per_segment
                move(x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        xtst.XTestFakeButtonEvent(self.connection, 1, False, 0)
        self.xlib.XFlush(self.connection)

    def close(self) -> None:
        if self.window_manager is not None:
            self.window_manager.terminate()
            self.window_manager.wait()
        self.xlib.XCloseDisplay(self.connection)
        self.process.terminate()
        self.process.wait()


def evict_from_page_cache(folder: Path) -> None:
    """Drop a folder's files from the page cache, so the next start reads them from disk."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def time_one_start(executable: Path, server: XServer, home: Path) -> float:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "DISPLAY": server.display}
    started = time.perf_counter()
    app = subprocess.Popen([str(executable)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        shown, _ = server.wait_for_window(started + WINDOW_TIMEOUT_S)
    except TimeoutError:
        app.kill()
        _, err = app.communicate()
        message = f"measure_startup: no window within {WINDOW_TIMEOUT_S:.0f} s\n{err.decode()[-2000:]}"
        raise SystemExit(message) from None
    finally:
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)
        app.wait()
    return shown - started


def take_screenshot(executable: Path, server: XServer, home: Path, qt_python: str, path: Path) -> None:
    """Start the app, draw a 7 on its canvas with the X server's fake mouse, and save the window.

    The stroke goes where the canvas is in the app's layout (the left part of the window), the
    way a person would draw it; the screenshot is taken with Qt, by any python with PySide6.
    """
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "DISPLAY": server.display}
    app = subprocess.Popen([str(executable)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _, window = server.wait_for_window(time.perf_counter() + WINDOW_TIMEOUT_S)
        time.sleep(1.0)  # let it paint
        server.drag_mouse(window, SEVEN_STROKE)
        time.sleep(1.0)  # let it answer
        grab = (
            "import sys\n"
            "from PySide6.QtGui import QGuiApplication\n"
            "app = QGuiApplication(['grab'])\n"
            "sys.exit(0 if app.primaryScreen().grabWindow(int(sys.argv[1])).save(sys.argv[2]) else 1)\n"
        )
        env = {**os.environ, "DISPLAY": server.display, "QT_QPA_PLATFORM": "xcb"}
        subprocess.run([qt_python, "-c", grab, str(window), str(path)], env=env, check=True)
    finally:
        app.terminate()
        app.wait()


def measure(executable: Path, runs: int, screenshot: Path | None = None, qt_python: str | None = None) -> StartupTimes:
    bundle = executable.resolve().parent
    server = XServer()
    try:
        with tempfile.TemporaryDirectory(prefix="digitpad-startup-home-") as home:
            times = StartupTimes([], [], os.getloadavg()[0])
            for _ in range(runs):
                evict_from_page_cache(bundle)
                times.cold.append(time_one_start(executable, server, Path(home)))
                times.warm.append(time_one_start(executable, server, Path(home)))
            if screenshot is not None and qt_python is not None:
                take_screenshot(executable, server, Path(home), qt_python, screenshot)
            return times
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executable", type=Path, help="the bundle's digitpad executable")
    parser.add_argument("--runs", type=int, default=5, help="cold/warm pairs (default 5)")
    parser.add_argument("--screenshot", type=Path, help="also save a screenshot of the window here")
    parser.add_argument("--qt-python", default=sys.executable, help="a python with PySide6, for the screenshot")
    args = parser.parse_args()
    times = measure(args.executable, args.runs, args.screenshot, args.qt_python)
    print(f"load average before: {times.load_average:.2f} on {os.cpu_count()} CPUs")
    for kind, values in (("cold", times.cold), ("warm", times.warm)):
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{kind}: median {statistics.median(values):.2f} s, max {max(values):.2f} s  ({shown})")


if __name__ == "__main__":
    main()
