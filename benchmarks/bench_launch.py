"""Launch to an interactive window on a real X server, with a window manager, as a person starts it.

    python benchmarks/bench_launch.py [--runs 7] [--window-manager openbox] [--model M]

Each run starts `python -m digitpad` from this checkout (a fresh process, a fresh HOME: no
settings, no profile) on a private Xvfb display where openbox manages the windows, and stops the
clock when the window is on screen and its event loop answers: the window manager has framed and
mapped it, and a _NET_WM_PING sent to it has come back (`packaging/measure_startup.py`, whose X
connection this reuses). The model is loaded by then, as the app loads it before showing the window.

Prints every run, the median (p50) and the worst, and the load average before the first run: the
figure is wall-clock on whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "packaging"))

from measure_startup import WINDOW_TIMEOUT_S, XServer  # noqa: E402

TARGET_S = 1.0


def launch_once(server: XServer, model: Path | None, home: Path) -> float:
    """Seconds from starting the process to its window on screen and answering."""
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISPLAY": server.display,
        "PYTHONPATH": str(REPO),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    command = [sys.executable, "-m", "digitpad", *(["--model", str(model)] if model else [])]
    server.drain_events()
    started = time.perf_counter()
    app = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ready = server.wait_until_interactive(started + WINDOW_TIMEOUT_S)
    except TimeoutError:
        app.kill()
        _, err = app.communicate()
        message = f"bench_launch: no interactive window in {WINDOW_TIMEOUT_S:.0f} s\n{err.decode()[-2000:]}"
        raise SystemExit(message) from None
    finally:
        if app.poll() is None:
            app.terminate()
        app.wait()
    return ready - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--window-manager", default="openbox")
    parser.add_argument("--model", type=Path, help="an ONNX model (default: the app's own lookup: the shipped one)")
    args = parser.parse_args()
    server = XServer(window_manager=args.window_manager)
    try:
        load = os.getloadavg()[0]
        times = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="digitpad-launch-home-") as home:
                times.append(launch_once(server, args.model, Path(home)))
    finally:
        server.close()
    print(f"load average before: {load:.2f} on {os.cpu_count()} CPUs; Xvfb with {args.window_manager}")
    print("runs: " + ", ".join(f"{t:.2f}" for t in times) + " s")
    print(f"launch -> interactive window (X11, {args.window_manager}): p50 {statistics.median(times):.2f} s, "
          f"worst {max(times):.2f} s of {len(times)}  (target p50 <= {TARGET_S:.1f} s on an idle machine)")


if __name__ == "__main__":
    main()
