"""Build digitpad's two installable forms, check them as a person would use them, and measure them.

    python3 packaging/build.py [--wheel-only] [--startup-runs N]

Writes to dist/:
  digitpad-VERSION-py3-none-any.whl              the wheel (`pip install` it)
  digitpad/                                      the standalone bundle folder (run ./digitpad)
  digitpad-VERSION-linux-x86_64.tar.gz           the same folder, packed
  digitpad-VERSION-linux-x86_64.contents.txt     every file in the bundle, biggest first
  figures.json                                   the sizes and start-up times measured here

Every check below must pass, or the build stops with the reason:
- wheel: holds the digitpad package and the shipped model and nothing else, and is within its
  size target; installed into a fresh virtual environment (which must not get torch) it passes
  `digitpad --self-test` and `digitpad classify` reads labelled samples right.
- bundle: built by PyInstaller from that same wheel in another fresh environment; no torch, no
  training code, no tests, no Qt module beyond QtCore/QtGui/QtWidgets inside; every library it
  loads is in it or is a desktop system library (bundle_policy.HOST_LIBRARIES); in a clean
  environment (HOME and PATH only, as `env -i` leaves them: no Python anywhere) it passes the
  self-test, classifies the samples, and classifies 210 files in worker processes; install.sh
  installs and uninstalls the menu entry; unpacked and packed sizes within their targets.
The start-up time is measured under Xvfb when Xvfb is installed; it is reported, not enforced,
since it depends on how busy the machine is. Standard library only: run it with any python3.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ICONS = REPO / "digitpad" / "ui" / "icons"  # the app's own icon, also its window icon
DIST = REPO / "dist"
WORK = REPO / "build" / "packaging"
MNIST = REPO / "data" / "mnist-test"  # the test set the repo carries
sys.path.insert(0, str(HERE))

from bundle_policy import HOST_LIBRARIES  # noqa: E402
from measure_startup import measure  # noqa: E402

MB = 1_000_000
WHEEL_TARGET = 15 * MB
BUNDLE_TARGET = 200 * MB
TARBALL_TARGET = 80 * MB
STARTUP_TARGET_S = 2.0
#: The Qt modules the app uses; the bundle may carry no other.
QT_MODULES = {"QtCore", "QtGui", "QtWidgets"}
#: Enough files for `digitpad classify` to start worker processes (batch.PARALLEL_THRESHOLD is 200).
WORKER_SAMPLE_COUNT = 210
#: The Python distributions whose code the bundle carries, for licenses/.
BUNDLED_DISTRIBUTIONS = (
    "digitpad",
    "numpy",
    "onnxruntime",
    "pillow",
    "platformdirs",
    "PySide6_Essentials",
    "shiboken6",
)


class BuildError(Exception):
    """A check failed; the message says which and why."""


def step(message: str) -> None:
    print(f"\n== {message}", flush=True)


def run(command: list[str | Path], echo: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command (echoed); a non-zero exit stops the build with the command's output."""
    if echo:
        print("$", " ".join(str(c) for c in command), flush=True)
    result: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        [str(c) for c in command], text=True, capture_output=True, **kwargs
    )
    if result.returncode != 0:
        raise BuildError(f"{command[0]} exited {result.returncode}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """The whole environment of a checked command, as `env -i HOME=... PATH=...` gives: no Python
    or virtual environment variables, no PYTHONPATH, no display."""
    return {"HOME": str(WORK / "home"), "PATH": "/usr/bin:/bin", **extra}


def fresh_venv(path: Path) -> Path:
    """A new, empty virtual environment; returns its bin/ folder."""
    shutil.rmtree(path, ignore_errors=True)
    run([sys.executable, "-m", "venv", path])
    return path / "bin"


def project_version() -> str:
    match = re.search(r'^__version__ = "([^"]+)"', (REPO / "digitpad" / "__init__.py").read_text(), re.MULTILINE)
    if match is None:
        raise BuildError("no __version__ in digitpad/__init__.py")
    return match.group(1)


def folder_size(folder: Path) -> int:
    """Bytes in all regular files under a folder (links counted once, as the files they are)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# --- the wheel ------------------------------------------------------------------------------


def build_wheel() -> Path:
    step("building the wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", DIST, REPO])
    (wheel,) = DIST.glob(f"digitpad-{project_version()}-*.whl")
    return wheel


def check_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    strays = [n for n in names if not n.startswith(("digitpad/", "digitpad-"))]
    if strays:
        raise BuildError(f"the wheel holds files outside the digitpad package: {strays[:5]}")
    required_files = ("digitpad/models/digitpad.onnx", "digitpad/selftest.py", "digitpad/ink/image_file.py",
                      "digitpad/model/probe_digits.npz")  # the MNIST digits another model's convention is found on
    for required in required_files:
        if required not in names:
            raise BuildError(f"the wheel lacks {required}")
    requirements = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    hard_torch = [line for line in requirements if re.match(r"Requires-Dist: torch\b", line) and "extra ==" not in line]
    if hard_torch:
        raise BuildError(f"the wheel requires torch outside the train extra: {hard_torch}")
    size = wheel.stat().st_size
    if size > WHEEL_TARGET:
        raise BuildError(f"the wheel is {size / MB:.1f} MB, over its {WHEEL_TARGET / MB:.0f} MB target")
    print(f"{wheel.name}: {size / MB:.1f} MB, {len(names)} files, the model inside, no torch requirement")


def assert_no_torch(python: Path) -> None:
    listed = run([python, "-m", "pip", "list", "--format=freeze"]).stdout
    if re.search(r"^torch==", listed, re.MULTILINE | re.IGNORECASE):
        raise BuildError(f"torch got installed into {python.parent.parent}")


def write_samples(python: Path, folder: Path) -> None:
    """Labelled inputs for `digitpad classify`, made by an installed digitpad (see write_samples.py)."""
    shutil.rmtree(folder, ignore_errors=True)
    if not MNIST.is_dir():
        print(f"note: no MNIST at {MNIST}, so the samples are drawings only, no images")
    run([python, HERE / "write_samples.py", folder, "--mnist", MNIST], cwd=WORK, env=clean_env())


def check_installed(command: list[Path], samples: Path, env: dict[str, str]) -> None:
    """`digitpad --self-test` passes and `digitpad classify` reads every sample as its label."""
    print(run([*command, "--self-test"], cwd=WORK, env=env).stdout, end="")
    result = run([*command, "classify", "--json", samples], cwd=WORK, env=env)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    wrong = [r for r in records if r.get("digit") != int(Path(r["path"]).name[0])]
    if not records or wrong:
        raise BuildError(f"digitpad classify got {len(wrong)} of {len(records)} samples wrong: {wrong[:3]}")
    kinds = ", ".join(sorted({Path(r["path"]).suffix for r in records}))
    print(f"digitpad classify: all {len(records)} samples read right ({kinds})")
    pictures = WORK / "explained"
    drawing = sorted(samples.glob("*.json"))[0]
    run([*command, "explain", drawing, "--out", pictures], cwd=WORK, env=env)  # Pillow draws its text here
    if not (pictures / f"{drawing.stem}.png").is_file():
        raise BuildError(f"digitpad explain wrote no picture of {drawing.name} in {pictures}")
    print(f"digitpad explain: a picture of {drawing.name}")


def check_worker_processes(command: list[Path], env: dict[str, str]) -> None:
    """`digitpad classify -j 2` on enough files to start worker processes (in a frozen app they
    need multiprocessing.freeze_support() in the entry point) gives every file its answer."""
    folder = WORK / "many"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for i in range(WORKER_SAMPLE_COUNT):
        (folder / f"7_copy{i:03d}.json").symlink_to(WORK / "samples" / "7_drawn.json")
    result = run([*command, "classify", "--json", "-j", "2", folder], cwd=WORK, env=env)
    digits = [json.loads(line).get("digit") for line in result.stdout.splitlines()]
    if digits != [7] * WORKER_SAMPLE_COUNT:
        raise BuildError(f"classify -j 2 on {WORKER_SAMPLE_COUNT} files gave {digits[:10]}...")
    print(f"digitpad classify -j 2: all {WORKER_SAMPLE_COUNT} files read right in worker processes")


def check_wheel(wheel: Path) -> None:
    step("installing the wheel into a fresh virtual environment, without torch")
    bin_dir = fresh_venv(WORK / "wheel-env")
    run([bin_dir / "pip", "install", wheel])
    assert_no_torch(bin_dir / "python")
    samples = WORK / "samples"
    write_samples(bin_dir / "python", samples)
    check_installed([bin_dir / "digitpad"], samples, clean_env())


# --- the bundle -----------------------------------------------------------------------------


def build_bundle(wheel: Path) -> Path:
    step("building the bundle with PyInstaller, from the wheel, in a fresh environment")
    bin_dir = fresh_venv(WORK / "bundle-env")
    run([bin_dir / "pip", "install", wheel, "-r", HERE / "bundle-requirements.txt"])
    assert_no_torch(bin_dir / "python")
    run(
        [
            bin_dir / "pyinstaller",
            "--noconfirm",
            "--clean",
            "--log-level=WARN",
            "--distpath",
            WORK / "pyinstaller-dist",
            "--workpath",
            WORK / "pyinstaller-work",
            HERE / "digitpad.spec",
        ],
        cwd=WORK,
    )
    bundle = DIST / "digitpad"
    shutil.move(WORK / "pyinstaller-dist" / "digitpad", bundle)
    add_desktop_files(bundle)
    run([bin_dir / "python", HERE / "write_licenses.py", bundle / "licenses", *BUNDLED_DISTRIBUTIONS])
    return bundle


def add_desktop_files(bundle: Path) -> None:
    """The .desktop file, the icons in hicolor theme layout and install.sh, beside the executable."""
    shutil.copy2(HERE / "desktop" / "install.sh", bundle / "install.sh")
    applications = bundle / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy2(HERE / "desktop" / "digitpad.desktop", applications)
    icons = bundle / "share" / "icons" / "hicolor"
    for png in sorted((ICONS).glob("digitpad-*.png")):  # digitpad-SIZE.png, from render_icons.py
        size = png.stem.removeprefix("digitpad-")
        folder = icons / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy2(png, folder / "digitpad.png")
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(ICONS / "digitpad.svg", icons / "scalable" / "apps" / "digitpad.svg")


def is_elf(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(4) == b"\x7fELF"


def needed_libraries(path: Path) -> set[str]:
    dump = run(["objdump", "-p", path], echo=False).stdout
    return set(re.findall(r"^\s*NEEDED\s+(\S+)$", dump, re.MULTILINE))


def check_bundle_contents(bundle: Path, listing: Path) -> None:
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    files.sort(key=lambda p: -p.stat().st_size)
    relative = [p.relative_to(bundle).as_posix() for p in files]
    forbidden = [r for r in relative if re.search(r"(^|/)(torch|training|tests)(/|$)|libtorch", r)]
    if forbidden:
        raise BuildError(f"the bundle holds torch, training code or tests: {forbidden[:5]}")
    qt_modules = {m.group(1) for r in relative if (m := re.fullmatch(r"_internal/PySide6/(Qt\w+)\.abi3\.so", r))}
    if qt_modules - QT_MODULES:
        raise BuildError(f"the bundle carries Qt modules the app does not use: {sorted(qt_modules - QT_MODULES)}")
    listing.write_text("".join(f"{p.stat().st_size:>12,}  {r}\n" for p, r in zip(files, relative)))
    print(f"{len(files)} files; Qt modules: {', '.join(sorted(qt_modules))}; listing in {listing.relative_to(REPO)}")


def check_libraries(bundle: Path) -> list[str]:
    """Every library a bundled binary loads is in the bundle or is a desktop system library.

    Returns the system libraries the bundle relies on. Transitive dependencies of system
    libraries are the system's business; `ldd` only has to find them on this machine.
    """
    elves = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    bundled = {p.name for p in bundle.rglob("*.so*")}
    from_system: set[str] = set()
    for elf in elves:
        for name in needed_libraries(elf) - bundled:
            if not HOST_LIBRARIES.fullmatch(name):
                raise BuildError(
                    f"{elf.relative_to(bundle)} needs {name}, which is neither in the bundle nor a desktop system "
                    "library: install it on the build machine so PyInstaller bundles it (see packaging/README.md)"
                )
            from_system.add(name)
    env = clean_env(LD_LIBRARY_PATH=str(bundle / "_internal"))  # as the bundle's launcher sets it
    for elf in elves:
        missing = re.findall(r"^\s*(\S+) => not found", run(["ldd", elf], echo=False, env=env).stdout, re.MULTILINE)
        if missing:
            raise BuildError(f"{elf.relative_to(bundle)}: libraries not found: {missing}")
    print(f"{len(elves)} binaries; all their libraries found; from the system: {', '.join(sorted(from_system))}")
    return sorted(from_system)


def newest_symbol_versions(bundle: Path) -> dict[str, str]:
    """The newest glibc and libstdc++ symbol versions the bundle's binaries ask for: the oldest
    systems it runs on are those that have them."""
    newest: dict[str, tuple[int, ...]] = {}
    for elf in (p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)):
        dump = run(["objdump", "-T", elf], echo=False).stdout
        for library, version in re.findall(r"\b(GLIBC|GLIBCXX)_(\d+(?:\.\d+)+)\b", dump):
            numbers = tuple(int(n) for n in version.split("."))
            newest[library] = max(newest.get(library, numbers), numbers)
    return {library: ".".join(map(str, numbers)) for library, numbers in sorted(newest.items())}


def check_bundle_runs(bundle: Path) -> None:
    step("running the bundle in a clean environment (HOME and PATH only, no Python)")
    samples = WORK / "samples"
    if not samples.is_dir():
        raise BuildError("no samples: the wheel check writes them")
    check_installed([bundle / "digitpad"], samples, clean_env())
    check_worker_processes([bundle / "digitpad"], clean_env())


def check_install_script(bundle: Path) -> None:
    """install.sh puts the menu entry, the icons and the command where desktops look, pointing at
    this bundle, and --uninstall takes every one of them away again."""
    home = WORK / "install-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    run([bundle / "install.sh"], env=env)
    desktop_file = home / ".local" / "share" / "applications" / "digitpad.desktop"
    if f'Exec="{bundle / "digitpad"}"' not in desktop_file.read_text():
        raise BuildError(f"install.sh wrote no Exec line for {bundle / 'digitpad'} into {desktop_file}")
    if shutil.which("desktop-file-validate"):
        run(["desktop-file-validate", desktop_file], echo=False)
    icons = list((home / ".local" / "share" / "icons" / "hicolor").rglob("digitpad.*"))
    if len(icons) < 2:
        raise BuildError(f"install.sh installed {len(icons)} icons")
    if (home / ".local" / "bin" / "digitpad").resolve() != (bundle / "digitpad").resolve():
        raise BuildError("install.sh did not link ~/.local/bin/digitpad to the bundle")
    run([bundle / "install.sh", "--uninstall"], env=env)
    left = [p.relative_to(home).as_posix() for p in home.rglob("digitpad*")]
    if left:
        raise BuildError(f"install.sh --uninstall left {left}")
    print(f"install.sh: menu entry, {len(icons)} icons and ~/.local/bin/digitpad installed, then uninstalled")


def make_tarball(bundle: Path) -> Path:
    step("packing the bundle")
    tarball = DIST / f"digitpad-{project_version()}-linux-x86_64.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=9) as archive:
        archive.add(bundle, arcname=bundle.name, filter=anonymous)
    return tarball


def anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Files owned by whoever unpacks them, not by the build machine's user."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def measure_startup(bundle: Path, runs: int) -> dict[str, float] | None:
    step(f"measuring cold and warm start to window under Xvfb ({runs} runs each)")
    if shutil.which("Xvfb") is None:
        print("skipped: Xvfb is not installed (apt-get install xvfb)")
        return None
    times = measure(bundle / "digitpad", runs, DIST / "screenshot.png", str(WORK / "bundle-env" / "bin" / "python"))
    figures = {
        "cold_median_s": round(statistics.median(times.cold), 3),
        "cold_max_s": round(max(times.cold), 3),
        "warm_median_s": round(statistics.median(times.warm), 3),
        "load_average": round(times.load_average, 2),
    }
    print(f"cold: {', '.join(f'{t:.2f}' for t in times.cold)} s; warm: {', '.join(f'{t:.2f}' for t in times.warm)} s")
    print(f"(the machine's load average before: {times.load_average:.2f} on {os.cpu_count()} CPUs)")
    print(f"screenshot of the window: {(DIST / 'screenshot.png').relative_to(REPO)}")
    return figures


# --- the whole build ------------------------------------------------------------------------


def report(figures: dict[str, object]) -> None:
    step("figures")

    def line(what: str, value: float | None, target: float, unit: str) -> None:
        if value is None:
            print(f"{what:<26} {'not measured':>12}")
            return
        verdict = "ok" if value <= target else "OVER TARGET"
        print(f"{what:<26} {value:>9.2f} {unit:<3} target <= {target:g} {unit}  {verdict}")

    line("wheel", figures["wheel_bytes"] / MB, WHEEL_TARGET / MB, "MB")  # type: ignore[operator]
    if "bundle_bytes" in figures:
        line("bundle, unpacked", figures["bundle_bytes"] / MB, BUNDLE_TARGET / MB, "MB")  # type: ignore[operator]
        line("bundle, .tar.gz", figures["tarball_bytes"] / MB, TARBALL_TARGET / MB, "MB")  # type: ignore[operator]
        startup = figures.get("startup")
        line("cold start to window", startup["cold_median_s"] if startup else None, STARTUP_TARGET_S, "s")  # type: ignore[index]
        line("warm start to window", startup["warm_median_s"] if startup else None, STARTUP_TARGET_S, "s")  # type: ignore[index]
    (DIST / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")


def check_size(what: str, size: int, target: int) -> None:
    if size > target:
        raise BuildError(f"{what} is {size / MB:.1f} MB, over its {target / MB:.0f} MB target")


def build(wheel_only: bool, startup_runs: int) -> None:
    started = time.perf_counter()
    for path in (DIST, WORK):
        shutil.rmtree(path, ignore_errors=True)
    (WORK / "home").mkdir(parents=True)
    wheel = build_wheel()
    check_wheel_contents(wheel)
    check_wheel(wheel)
    figures: dict[str, object] = {"version": project_version(), "wheel_bytes": wheel.stat().st_size}
    if not wheel_only:
        bundle = build_bundle(wheel)
        step("checking what is in the bundle")
        check_bundle_contents(bundle, DIST / f"digitpad-{project_version()}-linux-x86_64.contents.txt")
        figures["system_libraries"] = check_libraries(bundle)
        figures["needs"] = needs = newest_symbol_versions(bundle)
        print(f"needs glibc >= {needs['GLIBC']} and libstdc++ with GLIBCXX_{needs['GLIBCXX']}")
        readme = (HERE / "desktop" / "README.txt").read_text()
        (bundle / "README.txt").write_text(readme.format(glibc=needs["GLIBC"], glibcxx=needs["GLIBCXX"]))
        check_bundle_runs(bundle)
        check_install_script(bundle)
        tarball = make_tarball(bundle)
        figures["bundle_bytes"] = folder_size(bundle)
        figures["tarball_bytes"] = tarball.stat().st_size
        check_size("the bundle", figures["bundle_bytes"], BUNDLE_TARGET)  # type: ignore[arg-type]
        check_size("the .tar.gz", figures["tarball_bytes"], TARBALL_TARGET)  # type: ignore[arg-type]
        figures["startup"] = measure_startup(bundle, startup_runs) if startup_runs else None
    report(figures)
    print(f"\nbuilt in {time.perf_counter() - started:.0f} s: {', '.join(sorted(p.name for p in DIST.iterdir()))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel-only", action="store_true", help="build and check the wheel only")
    parser.add_argument("--startup-runs", type=int, default=5, help="cold/warm start pairs to time (0: skip)")
    args = parser.parse_args()
    try:
        build(args.wheel_only, args.startup_runs)
    except BuildError as exc:
        print(f"\nbuild FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
