"""docs/robustness.md stays true: its tests exist, its messages are real, its limits are the code's."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import REPO

DOC = REPO / "docs" / "robustness.md"
TEST_ID = re.compile(r"`(tests/[^`]+?::[^`]+)`")
QUOTED = re.compile(r"`([^`]+)`")
#: Test files given over to robustness: each of their tests must be in the page.
DEDICATED = ("tests/test_bad_drawings.py", "tests/test_properties.py")


@dataclass(frozen=True)
class Row:
    header: tuple[str, ...]
    cells: tuple[str, ...]

    def cell(self, name: str) -> str:
        return self.cells[self.header.index(name)]

    @property
    def tests(self) -> list[str]:
        return TEST_ID.findall(self.cell("Checked by"))


def table_rows(text: str) -> list[Row]:
    """Every data row of every Markdown table, with its table's header."""
    rows, header = [], None
    lines = text.splitlines()
    for line, following in zip(lines, [*lines[1:], ""]):
        if not line.startswith("|"):
            header = None
            continue
        cells = tuple(cell.strip() for cell in line.strip().strip("|").split(" | "))
        if header is None and following.startswith("| ---"):
            header = cells
        elif header is not None and not line.startswith("| ---"):
            assert len(cells) == len(header), f"a row of the wrong width: {line}"
            rows.append(Row(header, cells))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return table_rows(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checked(rows: list[Row]) -> list[Row]:
    found = [row for row in rows if "Checked by" in row.header]
    assert len(found) > 40
    return found


@pytest.fixture(scope="module")
def collected(checked: list[Row]) -> set[str]:
    """The node ids pytest collects from every test file the page names."""
    files = sorted({test.split("::")[0] for row in checked for test in row.tests} | set(DEDICATED))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {line.strip() for line in result.stdout.splitlines() if "::" in line}


@pytest.mark.slow
def test_every_row_names_a_test_and_every_test_named_exists(checked: list[Row], collected: set[str]) -> None:
    missing = []
    for row in checked:
        assert row.tests, f"a row that no test checks: {row.cells[0]}"
        for test in row.tests:
            parametrized = any(node.startswith(test + "[") for node in collected)
            if test not in collected and not ("[" not in test and parametrized):
                missing.append(test)
    assert not missing, f"docs/robustness.md names tests that do not exist: {missing}"


@pytest.mark.slow
def test_every_test_of_the_robustness_files_is_in_the_page(collected: set[str]) -> None:
    page = DOC.read_text(encoding="utf-8")
    absent = {node.split("[")[0] for node in collected if node.startswith(DEDICATED) and node.split("[")[0] not in page}
    assert not absent, f"tests missing from docs/robustness.md: {sorted(absent)}"


def _sources() -> str:
    paths = [path for folder in ("digitpad", "training") for path in (REPO / folder).rglob("*.py")]
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


def test_every_quoted_response_is_still_in_the_code_or_in_its_tests(checked: list[Row]) -> None:
    """A message quoted in the page must still be said by the code, or asserted by the row's tests."""
    code = _sources()
    stale = []
    for row in checked:
        response = row.cell("Response") if "Response" in row.header else ""
        tests = "\n".join((REPO / path).read_text(encoding="utf-8") for path in {t.split("::")[0] for t in row.tests})
        stale += [quote for quote in QUOTED.findall(response) if quote not in code and quote not in tests]
    assert not stale, f"docs/robustness.md quotes messages that nothing says any more: {stale}"


def test_every_limit_is_the_value_in_the_code(rows: list[Row]) -> None:
    limits = [row for row in rows if row.header[:2] == ("Limit", "Value")]
    assert len(limits) >= 8
    for row in limits:
        module, _, name = row.cell("Limit").strip("`").rpartition(".")
        actual = getattr(importlib.import_module(module), name)
        assert float(row.cell("Value").replace(",", "")) == float(actual), row.cell("Limit")


def test_the_readme_links_the_page() -> None:
    assert "(docs/robustness.md)" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_table_parser_reads_a_table() -> None:
    """The checks above are only as good as the parser: it must see cells, headers and ids."""
    text = (
        "intro\n\n| Input | Response | Checked by |\n| --- | --- | --- |\n"
        "| a | `x` | `tests/t.py::f[p q]`, `tests/u.py::g` |\n"
    )
    (row,) = table_rows(text)
    assert row.cell("Input") == "a" and row.tests == ["tests/t.py::f[p q]", "tests/u.py::g"]
    assert QUOTED.findall(row.cell("Response")) == ["x"]
