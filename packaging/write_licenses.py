"""Write the licenses of everything the bundle carries into its licenses/ folder.

Run by build.py with the Python of the environment the bundle was built from:

    python write_licenses.py OUT DISTRIBUTION...

OUT/THIRD-PARTY.txt lists each distribution with its version and license; the license files
that the distributions ship (and Python's own) are copied beside it, under the distribution's name.
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

LICENSE_NAME = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|ThirdPartyNotices)[^/]*", re.IGNORECASE)

QT_NOTE = """\
Qt 6 and PySide6 (Qt for Python) are used under the GNU Lesser General Public License v3. They
are included unmodified, as the shared libraries under _internal/PySide6/ and _internal/libQt6*,
and can be replaced by other builds of the same version. Their source code is available from
the Qt Project (code.qt.io, download.qt.io); the LGPL v3 text is at gnu.org/licenses/lgpl-3.0.
"""


def license_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression") or meta.get("License") or ""
    if not expression or len(expression) > 100:  # some put the whole text in License:
        classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
        expression = ", ".join(classifiers) or "see the files below"
    return expression


def license_files(dist: metadata.Distribution) -> list[tuple[Path, Path]]:
    """(installed file, name to give it) for the license files a distribution ships: those in its
    .dist-info folder, and those at the top of its package (where onnxruntime keeps them)."""
    found = []
    for file in dist.files or []:
        parts = Path(str(file)).parts
        if not LICENSE_NAME.fullmatch(parts[-1]):
            continue
        if parts[0].endswith(".dist-info"):
            found.append((Path(str(dist.locate_file(file))), Path(*parts[1:])))
        elif len(parts) == 2:
            found.append((Path(str(dist.locate_file(file))), Path(parts[-1])))
    return found


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    lines = ["Software included in this digitpad bundle, with its license.", ""]
    python_license = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    lines.append(f"Python {sys.version.split()[0]}: PSF License Agreement (Python/LICENSE.txt)")
    (out / "Python").mkdir(exist_ok=True)
    shutil.copy2(python_license / "LICENSE.txt", out / "Python" / "LICENSE.txt")
    for name in sys.argv[2:]:
        dist = metadata.distribution(name)
        copied = []
        for source, name in license_files(dist):
            target = out / dist.metadata["Name"] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(target.relative_to(out).as_posix())
        where = f" ({', '.join(copied[:3])}{', ...' if len(copied) > 3 else ''})" if copied else ""
        lines.append(f"{dist.metadata['Name']} {dist.version}: {license_of(dist)}{where}")
    lines += ["", QT_NOTE]
    (out / "THIRD-PARTY.txt").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
