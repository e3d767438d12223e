"""The core stays free of Qt and torch, and its public list is exactly what it exports.

The GUI is a thin shell (`digitpad.ui`) and torch is training-only; `digitpad classify` must work
where Qt's libraries are missing, and start without loading them.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import digitpad
from tests.conftest import REPO
from tests.drawings import one

FORBIDDEN = ("PySide6", "shiboken6", "torch")


def core_modules() -> list[str]:
    """Every module of the digitpad package outside digitpad.ui, found by walking the package."""
    found = ["digitpad"]
    for module in pkgutil.walk_packages(digitpad.__path__, "digitpad."):
        if not (module.name == "digitpad.ui" or module.name.startswith("digitpad.ui.")):
            found.append(module.name)
    return sorted(found)


def loaded_after(code: str, *args: str) -> list[str]:
    """The forbidden top-level packages loaded after running `code` in a fresh interpreter."""
    report = f"print('loaded:', *sorted({{m.split('.')[0] for m in sys.modules}} & {set(FORBIDDEN)!r}))"
    script = f"import sys\n{code}\n{report}"
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()[1:]


def test_the_walk_finds_the_whole_core() -> None:
    modules = core_modules()
    assert {"digitpad.reading.batch", "digitpad.cli", "digitpad.ink.image_file", "digitpad.selftest"} <= set(modules)
    package = Path(digitpad.__file__).parent
    files = [p for p in package.rglob("*.py") if p.relative_to(package).parts[0] != "ui"]
    assert len(modules) == len(files)  # each __init__.py is its package


@pytest.mark.parametrize("module", core_modules())
def test_no_core_module_imports_qt_or_torch(module: str) -> None:
    assert loaded_after(f"import {module}") == [], f"{module} imports Qt or torch"


def test_classifying_drawings_and_images_loads_no_qt(tmp_path: Path) -> None:
    """The whole `digitpad classify` run, in-process, as `python -m digitpad classify` does it."""
    from PIL import Image

    from digitpad.ink.drawing_file import save_drawing
    from tests.bad_files import digit_pixels

    save_drawing(tmp_path / "one.json", one())
    Image.fromarray(digit_pixels()).save(tmp_path / "seven.png")
    code = (
        "import runpy\n"
        "sys.argv = ['digitpad', 'classify', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('digitpad', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
    )
    assert loaded_after(code, str(tmp_path)) == []


def test_importing_digitpad_changes_no_environment_variable() -> None:
    code = "import os\nbefore = dict(os.environ)\nimport digitpad\nassert dict(os.environ) == before"
    assert loaded_after(code) == []


def test_public_names_are_sorted_and_match_what_the_package_exports() -> None:
    """Both ways, as httpx checks its own: every listed name exists, every public name is listed."""
    assert digitpad.__all__ == sorted(digitpad.__all__)
    for name in digitpad.__all__:
        assert hasattr(digitpad, name), name
    exported = {
        name
        for name in dir(digitpad)
        if not name.startswith("_") and not isinstance(getattr(digitpad, name), types.ModuleType)
    }
    assert exported == set(digitpad.__all__)


def test_every_public_name_comes_from_the_module_the_type_checker_sees() -> None:
    """The TYPE_CHECKING imports in digitpad/__init__.py and the lazy table agree."""
    source = (REPO / "digitpad" / "__init__.py").read_text(encoding="utf-8")
    for name, module in digitpad._EXPORTS.items():
        assert getattr(sys.modules[module], name) is getattr(digitpad, name)
        block = source[source.index(f"from {module} import") :]
        assert name in block[: block.index("\n    from") if "\n    from" in block else None], name


def test_the_readme_layout_has_a_line_for_every_module() -> None:
    """The README's project layout describes the house as it is: one line per module of digitpad/."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Project layout") :].split("\n## ")[0]
    folders = {"data/", "models/", "tests/"}
    lines = {line.split("`")[1] for line in layout.splitlines() if line.startswith("- `")} - folders
    package = REPO / "digitpad"
    modules = {p.relative_to(package).with_suffix("").as_posix() for p in package.rglob("*.py")}
    modules = {m for m in modules if not m.endswith("__init__")}
    assert modules - lines == set(), "modules missing from the README's project layout"
    assert lines - modules == set(), "the README's project layout names modules that do not exist"
