"""`digitpad classify` over a folder of hostile files: each is its own error, the good one is read,
nothing hangs, and no process grows past a few hundred MB (issue 12's "done when")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.ink.drawing_file import save_drawing
from tests.conftest import REPO
from tests.drawings import one
from tests.hostile_files import make_hostile_drawings, nested_rings, stacked_spirals
from tests.hostile_profiles import make_refused_profiles, profile_with_bad_rows

#: Peak resident memory any process of the run may reach. The classify process holds Python,
#: numpy, ONNX Runtime with the model and Qt's image plugins: about 200 MB on this machine.
PEAK_RSS_LIMIT_MIB = 400
#: Only a guard against a hang (a FIFO read, a runaway loop): the run takes a few seconds.
HANG_GUARD_S = 300

#: Run the command as the only child of a small wrapper, and print the largest resident set any
#: of its processes reached (the kernel's own figure: ru_maxrss of the waited-for children).
WRAPPER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print(f"PEAK_RSS_KIB {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", file=sys.stderr)
sys.exit(done.returncode)
"""


def make_folder(folder: Path) -> dict[Path, str]:
    expected = make_hostile_drawings(folder)
    big = folder / "oversized.json"
    with big.open("wb") as stream:
        stream.truncate(40 * 1024 * 1024)  # sparse: over the 32 MiB limit, refused from its size
    expected[big] = "-byte limit for drawings"
    points = folder / "five_million_points.json"
    points.write_text('{"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [['
                      + ",".join(["[1,1]"] * 5_000_000) + "]]}")
    expected[points] = "values; a drawing has at most"
    scribble = np.random.default_rng(0).uniform(0, 280, (100_000, 2)).round(1).tolist()
    (folder / "scribble.json").write_text(json.dumps(
        {"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [scribble]}))
    expected[folder / "scribble.json"] = "too complex"
    save_drawing(folder / "stacked_spirals.json", stacked_spirals())
    expected[folder / "stacked_spirals.json"] = "too complex to read as a number"
    Image.fromarray(nested_rings()).save(folder / "nested_rings.png")
    expected[folder / "nested_rings.png"] = "too complex to read as a number"
    return expected


@pytest.mark.slow
def test_classify_over_a_folder_of_hostile_files_reads_the_good_one_in_bounded_memory(
    tmp_path: Path, shipped_model: Path
) -> None:
    folder = tmp_path / "hostile"
    expected = make_folder(folder)
    save_drawing(folder / "good_one.json", one())
    command = [sys.executable, "-m", "digitpad", "classify", "--json", "-j", "1", "--model", str(shipped_model),
               str(folder)]
    done = subprocess.run([sys.executable, "-c", WRAPPER, *command], cwd=REPO, capture_output=True, text=True,
                          timeout=HANG_GUARD_S)
    records = {Path(r["path"]).name: r for r in map(json.loads, done.stdout.splitlines())}
    assert done.returncode == 1, done.stderr
    assert records.pop("good_one.json")["digit"] == 1
    messages = {path.name: message for path, message in expected.items()}
    assert set(records) == set(messages)  # every bad file is reported, each as its own error
    for name, record in records.items():
        assert messages[name] in record["error"], (name, record)
    peak_mib = int(done.stderr.rsplit("PEAK_RSS_KIB ", 1)[1]) / 1024
    assert peak_mib < PEAK_RSS_LIMIT_MIB, f"a process of the run reached {peak_mib:.0f} MiB"


@pytest.mark.slow
def test_links_to_devices_and_loops_named_directly_are_errors_too(tmp_path: Path, shipped_model: Path) -> None:
    expected = make_hostile_drawings(tmp_path / "hostile")
    named = [path for path in expected if path.name in ("link_loop.json", "dev_zero.json", "fifo.json")]
    done = subprocess.run([sys.executable, "-m", "digitpad", "classify", "--json", "--model", str(shipped_model),
                           *map(str, named)], cwd=REPO, capture_output=True, text=True, timeout=HANG_GUARD_S)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1 and len(records) == 3
    for path, record in zip(named, records):
        assert expected[path] in record["error"]


@pytest.mark.slow
def test_classify_with_each_hostile_profile_reads_on_in_bounded_time_and_memory(
    tmp_path: Path, shipped_model: Path
) -> None:
    """A profile that is a view of endless rows once made `classify --profile` fill the disk (12 GB in 36 s)."""
    profiles = make_refused_profiles(tmp_path / "profiles")
    profiles[profile_with_bad_rows(tmp_path / "profiles" / "bad_rows.sqlite3")] = ""
    good = tmp_path / "good_one.json"
    save_drawing(good, one())
    for path, message in profiles.items():
        command = [sys.executable, "-m", "digitpad", "classify", "--json", "--model", str(shipped_model),
                   "--profile", str(path), str(good)]
        done = subprocess.run([sys.executable, "-c", WRAPPER, *command], cwd=REPO, capture_output=True, text=True,
                              timeout=HANG_GUARD_S)
        assert done.returncode == 0, (path.name, done.stderr)
        assert json.loads(done.stdout)["digit"] == 1 and message in done.stderr and "Traceback" not in done.stderr
        peak_mib = int(done.stderr.rsplit("PEAK_RSS_KIB ", 1)[1]) / 1024
        assert peak_mib < PEAK_RSS_LIMIT_MIB, f"{path.name}: a process of the run reached {peak_mib:.0f} MiB"
