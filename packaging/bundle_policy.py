"""What goes into the standalone bundle and what is left to the system: the lists, with reasons.

Used by digitpad.spec to cut PyInstaller's collection down, and by build.py to check the result.
PyInstaller's own hooks collect far more of Qt than the app uses; each cut here says why.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Python modules the app never imports. Excluding them also drops the native libraries they
#: pull in (OpenSSL and Kerberos through ssl, readline, SQLite).
EXCLUDED_MODULES = [
    "torch",
    "training",
    "tests",
    "tkinter",
    "unittest",
    "pydoc",
    "doctest",
    "pdb",
    "ssl",
    "_ssl",
    "_hashlib",  # hashlib falls back to its built-in algorithms
    "http",
    "urllib.request",
    "xmlrpc",
    "email",
    "readline",
    "curses",
    "lib2to3",
    "setuptools",
    "pkg_resources",
    "numpy.f2py",
    "numpy.testing",
    "numpy.distutils",
    # East Asian codecs (0.9 MB): digitpad reads JSON, images and models, never text in these
    # encodings; file names go through the file system's encoding (UTF-8).
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_multibytecodec",
    "_decimal",  # decimal falls back to its pure-Python _pydecimal; nothing in the app does decimal arithmetic
    # Unicode database and XML parser (1.3 MB): neither the app, the CLI nor their libraries load
    # them (checked: a self-test and a classify run import neither), and the room pays for sqlite3.
    "unicodedata",
    "pyexpat",
    "numpy.random",  # numpy loads these two only when asked for them by name: digitpad never does
    "numpy.fft",
    "numpy._core._multiarray_tests",
    # Pillow's extensions beyond the core decoder and WebP: digitpad decodes PNG, JPEG, BMP, GIF
    # and WebP (digitpad.ink.image_file) and draws no text, manages no color profiles and reads no
    # AVIF. Dropping them also drops libavif (4.9 MB), FreeType, HarfBuzz and LittleCMS.
    "PIL._avif",
    "PIL._imagingft",
    "PIL._imagingcms",
    "PIL._imagingmath",
    "PIL._imagingmorph",
    "PIL._imagingtk",
    # Pillow's plugins for the formats digitpad never opens (it names PNG, JPEG, BMP, GIF and WebP
    # to Image.open; Jpeg reads its EXIF through Tiff, Mpo is JPEG's multi-picture form, Ppm is in
    # Pillow's preinit list): Image.init imports each plugin in a try, so a missing one is skipped.
    *(f"PIL.{name}ImagePlugin" for name in (
        "Avif", "Blp", "BufrStub", "Cur", "Dcx", "Dds", "Eps", "Fits", "Fli", "Fpx", "Ftex", "Gbr", "GribStub",
        "Hdf5Stub", "Icns", "Ico", "Im", "Imt", "Iptc", "Jpeg2K", "McIdas", "Mic", "Mpeg", "Msp", "Palm", "Pcd",
        "Pcx", "Pdf", "Pixar", "Psd", "Qoi", "Sgi", "Spider", "Sun", "Tga", "Wmf", "XVThumb", "Xbm", "Xpm",
    )),
    "PIL.PdfParser",
    # Archives and XML (2026-12-02, when the .tar.gz had grown past its target): the app reads no
    # compressed archive but gzip and zip-deflate (.npz), and no XML; shutil, zipfile and tarfile
    # import these inside functions or in a try, and Pillow parses XMP only when asked to.
    "tarfile",
    "lzma",
    "_lzma",
    "bz2",
    "_bz2",
    "xml",
    "_elementtree",
    "PIL.ImageTk",
    "PIL.ImageQt",
    # Qt modules beyond QtCore, QtGui and QtWidgets: the app uses none of them.
    "PySide6.QtNetwork",
    "PySide6.QtDBus",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtPrintSupport",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtSql",
    "PySide6.QtXml",
    "PySide6.QtTest",
    "PySide6.QtConcurrent",
    "PySide6.QtUiTools",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
]

#: Qt plugins kept, by folder. Everything else under Qt/plugins is dropped:
#: - platforms: xcb for X11 and XWayland desktops, offscreen for --self-test and headless runs;
#:   the native Wayland plugin would need its own shell and graphics plugins, and every Wayland
#:   desktop runs X11 apps through XWayland.
#: - imageformats: none. Image files are decoded by Pillow (digitpad.ink.image_file); Qt reads only the
#:   app's PNG icons, and PNG is built into QtGui.
#: - platforminputcontexts: compose keys and IBus input methods for typing in dialogs.
#: - platformthemes: the XDG portal theme, for the desktop's own file dialogs where it has a
#:   portal; the GTK 3 theme would drag the whole GTK stack (some 15 MB) into the bundle.
KEPT_PLUGINS = {
    "platforms": {"libqxcb.so", "libqoffscreen.so"},
    "imageformats": set(),
    "platforminputcontexts": {"libcomposeplatforminputcontextplugin.so", "libibusplatforminputcontextplugin.so"},
    "platformthemes": {"libqxdgdesktopportal.so"},
}

#: Qt libraries that only dropped plugins or modules need.
DROPPED_QT_LIBRARIES = re.compile(
    r"libQt6(Network|OpenGL|OpenGLWidgets|Svg|SvgWidgets|EglFSDeviceIntegration|EglFsKmsSupport|"
    r"WaylandClient|WaylandEglClientHwIntegration|WlShellIntegration|PrintSupport|Qml\w*|Quick\w*)\.so[.\d]*"
)

#: Libraries that come from the system, never from the bundle: the ones on the AppImage project's
#: exclude list (glibc, the C++ runtime, OpenGL and the graphics drivers' libraries, X11's core,
#: fonts, GLib), which every Linux desktop has and which break when an app brings its own copy
#: (a bundled libstdc++ older than the host's Mesa needs, a libGL that does not match the
#: driver), plus libdbus-1, which every desktop session runs on. build.py checks that the bundle
#: needs nothing from the system beyond these.
HOST_LIBRARIES = re.compile(
    r"(ld-linux-x86-64|libc|libm|libmvec|libdl|libpthread|librt|libresolv|libutil|libanl|"
    r"libstdc\+\+|libgcc_s|libz|libexpat|libuuid|"
    r"libGL|libGLX|libGLdispatch|libEGL|libOpenGL|libglapi|libdrm|libgbm|"
    r"libX11|libxcb|libxcb-dri[23]|libICE|libSM|libfontconfig|libfreetype|libharfbuzz|libfribidi|"
    r"libglib-2\.0|libgobject-2\.0|libgio-2\.0|libgpg-error|libcom_err|libp11-kit|libusb-1\.0|libasound|"
    r"libdbus-1)\.so[.\d]*"
)


def keep(dest: str) -> bool:
    """Whether a collected file belongs in the bundle."""
    path = Path(dest)
    name = path.name
    parts = path.parts
    if "plugins" in parts and parts[:2] == ("PySide6", "Qt"):
        folder = parts[parts.index("plugins") + 1]
        return name in KEPT_PLUGINS.get(folder, set())
    if parts[:3] == ("PySide6", "Qt", "translations"):
        return False  # the app is in English and loads no Qt translations
    if DROPPED_QT_LIBRARIES.fullmatch(name):
        return False
    if len(parts) == 1 and HOST_LIBRARIES.fullmatch(name):
        return False
    return not re.match(r"(torch|training|tests)(/|$)", dest)
