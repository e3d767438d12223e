"""The downloader against a local HTTP server on 127.0.0.1 (never a real mirror).

The server serves good, corrupted and truncated files, HTTP errors and a stalled response; every
failure must name the file and its expected checksum and leave nothing in the data folder that
looks like a valid file.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import http.server
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import training.download
from training.data import MNIST_MD5, TEST_IMAGES, TEST_LABELS, TRAIN_LABELS, find_file, load_file, load_mnist
from training.download import ATTEMPTS, download_file, download_mnist, obtain_mnist
from training.errors import DatasetError, DownloadError

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_length: int | None = None  #: a lie about the length, to truncate a response
    stall_seconds: float = 0.0  #: wait this long before answering
    ranges: bool = True  #: answer "Range: bytes=N-" with 206 and the rest of the body
    cut_after: int | None = None  #: send only this many bytes of the body, then...
    cut_stall_seconds: float = 0.0  #: ...stall this long (0: drop the connection at once)...
    cuts: int = 0  #: ...this many times; later requests get the whole answer
    on_cut: Callable[[], None] | None = None  #: called while a cut response is held
    endless: bool = False  #: send `body` again and again, with no Content-Length, until the client leaves
    trickle_seconds: float = 0.0  #: send the body one byte at a time, this long apart


class MirrorServer:
    """A threaded HTTP server on 127.0.0.1 whose answers the test sets per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.range_headers: list[str | None] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                server.range_headers.append(self.headers.get("Range"))
                route = server.routes.get(self.path, Route(status=404))
                time.sleep(route.stall_seconds)
                if route.endless or route.trickle_seconds:
                    self.send_response(200)
                    if not route.endless:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    with contextlib.suppress(OSError):  # the client gave up
                        while True:
                            for i in range(len(route.body)) if route.trickle_seconds else [None]:
                                self.wfile.write(route.body if i is None else route.body[i : i + 1])
                                self.wfile.flush()
                                time.sleep(route.trickle_seconds)
                            if not route.endless:
                                return
                status, body, headers = route.status, route.body, {}
                wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if wanted and route.ranges and status == 200:
                    first = int(wanted.group(1))
                    status, body = 206, route.body[first:]
                    headers["Content-Range"] = f"bytes {first}-{len(route.body) - 1}/{len(route.body)}"
                self.send_response(status)
                self.send_header("Content-Length", str(route.content_length or len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    if route.cuts > 0 and route.cut_after is not None:
                        route.cuts -= 1
                        self.wfile.write(body[: route.cut_after])
                        if route.on_cut is not None:
                            route.on_cut()
                        time.sleep(route.cut_stall_seconds)
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, prefix: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{prefix}/"


@pytest.fixture(autouse=True)
def no_retry_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training.download, "RETRY_DELAY_SECONDS", 0.0)


@pytest.fixture
def server() -> Iterator[MirrorServer]:
    mirror = MirrorServer()
    mirror.thread.start()
    yield mirror
    mirror.httpd.shutdown()
    mirror.httpd.server_close()


@pytest.fixture(scope="module")
def content(mnist_dir: Path) -> dict[str, bytes]:
    """Each file's decompressed content, as the real mirrors' files decompress to."""
    return {name: gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()) for name in MNIST_MD5}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_file_is_downloaded_verified_and_readable(server: MirrorServer, content: dict[str, bytes],
                                                       mnist_dir: Path, tmp_path: Path) -> None:
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(body=gzip.compress(content[TEST_LABELS], compresslevel=1))
    paths = download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False)
    assert paths == [tmp_path / f"{TEST_LABELS}.gz"] and _leftovers(tmp_path) == [f"{TEST_LABELS}.gz"]
    assert np.array_equal(load_file(tmp_path, TEST_LABELS), load_file(mnist_dir, TEST_LABELS))


@pytest.mark.parametrize("case", ["corrupted", "truncated gzip", "short body", "not gzip", "wrong file"])
def test_bad_content_is_rejected_and_nothing_is_left(case: str, server: MirrorServer, content: dict[str, bytes],
                                                     tmp_path: Path) -> None:
    good = gzip.compress(content[TEST_LABELS])
    corrupted = bytearray(content[TEST_LABELS])
    corrupted[9000] ^= 1
    body, length, phrase = {
        "corrupted": (gzip.compress(bytes(corrupted)), None, "wrong content"),
        "truncated gzip": (good[: len(good) // 2], None, "truncated"),
        "short body": (good[: len(good) // 2], len(good), "truncated"),
        "not gzip": (b"<html>Access denied</html>", None, "not a valid gzip"),
        "wrong file": (gzip.compress(content[TEST_LABELS][:8] + content[TEST_LABELS][:7:-1]), None, "wrong content"),
    }[case]
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(body=body, content_length=length)
    with pytest.raises(DownloadError) as caught:
        download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False)
    message = str(caught.value)
    assert TEST_LABELS in message and MNIST_MD5[TEST_LABELS] in message and phrase in message, message
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(("status", "attempts"), [(404, 1), (500, ATTEMPTS)])
def test_http_errors_are_reported_and_the_next_mirror_is_tried(status: int, attempts: int, server: MirrorServer,
                                                               content: dict[str, bytes], tmp_path: Path) -> None:
    """A 404 is final; a 500 may pass, so it is retried before the next mirror is tried."""
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(status=status, body=b"error page")
    server.routes[f"/b/{TEST_LABELS}.gz"] = Route(body=gzip.compress(content[TEST_LABELS]))
    download_mnist(tmp_path, [server.url("a"), server.url("b")], names=[TEST_LABELS], progress=False)
    assert server.requests == [f"/a/{TEST_LABELS}.gz"] * attempts + [f"/b/{TEST_LABELS}.gz"]
    assert _leftovers(tmp_path) == [f"{TEST_LABELS}.gz"]

    with pytest.raises(DownloadError, match=f"HTTP {status}"):
        download_mnist(tmp_path / "other", [server.url("a")], names=[TEST_LABELS], progress=False)
    assert _leftovers(tmp_path / "other") == []


def test_a_dropped_connection_is_resumed_where_it_stopped(server: MirrorServer, content: dict[str, bytes],
                                                          mnist_dir: Path, tmp_path: Path) -> None:
    body = gzip.compress(content[TEST_IMAGES], compresslevel=1)
    seen_meanwhile: list[list[str]] = []
    server.routes[f"/a/{TEST_IMAGES}.gz"] = Route(
        body=body, cut_after=10_000, cuts=2, on_cut=lambda: seen_meanwhile.append(_leftovers(tmp_path)))
    download_mnist(tmp_path, [server.url("a")], names=[TEST_IMAGES], progress=False)
    assert server.range_headers == [None, "bytes=10000-", "bytes=20000-"]  # each retry asks for the rest only
    assert np.array_equal(load_file(tmp_path, TEST_IMAGES), load_file(mnist_dir, TEST_IMAGES))
    assert _leftovers(tmp_path) == [f"{TEST_IMAGES}.gz"]
    # While the download was under way, the only file was one that nothing takes for data.
    assert seen_meanwhile == [[f"{TEST_IMAGES}.gz.part"]] * 2


def test_a_server_that_stalls_mid_file_times_out_and_the_retry_resumes(server: MirrorServer,
                                                                       content: dict[str, bytes],
                                                                       tmp_path: Path) -> None:
    body = gzip.compress(content[TRAIN_LABELS], compresslevel=1)
    found_meanwhile: list[object] = []
    server.routes[f"/a/{TRAIN_LABELS}.gz"] = Route(
        body=body, cut_after=len(body) // 2, cut_stall_seconds=2.0, cuts=1,
        on_cut=lambda: found_meanwhile.append(find_file(tmp_path, TRAIN_LABELS)))
    download_mnist(tmp_path, [server.url("a")], names=[TRAIN_LABELS], progress=False, timeout=0.5)
    assert server.range_headers == [None, f"bytes={len(body) // 2}-"]
    assert found_meanwhile == [None] and _leftovers(tmp_path) == [f"{TRAIN_LABELS}.gz"]


def test_a_server_that_ignores_range_requests_is_read_again_from_the_start(server: MirrorServer,
                                                                           content: dict[str, bytes],
                                                                           mnist_dir: Path, tmp_path: Path) -> None:
    body = gzip.compress(content[TEST_LABELS], compresslevel=1)
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(body=body, ranges=False, cut_after=3_000, cuts=1)
    download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False)
    assert server.range_headers == [None, "bytes=3000-"]  # asked for the rest, got all of it: no splice
    assert np.array_equal(load_file(tmp_path, TEST_LABELS), load_file(mnist_dir, TEST_LABELS))


def test_a_connection_that_keeps_dropping_gives_up_and_leaves_nothing(server: MirrorServer,
                                                                      content: dict[str, bytes],
                                                                      tmp_path: Path) -> None:
    body = gzip.compress(content[TEST_LABELS])
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(body=body, cut_after=100, cuts=ATTEMPTS)
    with pytest.raises(DownloadError) as caught:
        download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False)
    message = str(caught.value)
    assert f"gave up after {ATTEMPTS} attempts" in message and MNIST_MD5[TEST_LABELS] in message
    assert _leftovers(tmp_path) == []


def test_a_full_disk_stops_the_download_with_a_clear_error(server: MirrorServer, content: dict[str, bytes],
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(body=gzip.compress(content[TEST_LABELS]))
    server.routes[f"/b/{TEST_LABELS}.gz"] = Route(body=gzip.compress(content[TEST_LABELS]))

    class FullDisk:
        def __init__(self, path: Path, mode: str) -> None:
            self.file = open(path, mode)  # noqa: SIM115 (closed in __exit__)

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> object:
            return getattr(self.file, name)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

    monkeypatch.setattr(training.download, "open", FullDisk, raising=False)
    with pytest.raises(DatasetError, match="No space left on device") as caught:
        download_mnist(tmp_path, [server.url("a"), server.url("b")], names=[TEST_LABELS], progress=False)
    assert not isinstance(caught.value, DownloadError) and len(server.requests) == 1  # no mirror is to blame
    assert _leftovers(tmp_path) == []


def test_a_read_only_data_folder_is_a_clear_error(server: MirrorServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, mode: str) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(training.download, "open", refuse, raising=False)
    with pytest.raises(DatasetError, match=f"cannot write into {tmp_path}: Permission denied"):
        download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False)
    assert server.requests == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_a_chmod_read_only_data_folder_is_a_clear_error(server: MirrorServer, tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(DatasetError, match="Permission denied"):
            download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False)
    finally:
        tmp_path.chmod(0o755)


def test_every_failed_mirror_is_listed(server: MirrorServer, tmp_path: Path) -> None:
    server.routes[f"/b/{TEST_LABELS}.gz"] = Route(status=500)
    with pytest.raises(DownloadError) as caught:
        download_mnist(tmp_path, [server.url("a"), server.url("b")], names=[TEST_LABELS], progress=False)
    assert "HTTP 404" in str(caught.value) and "HTTP 500" in str(caught.value)


def test_a_stalled_server_times_out(server: MirrorServer, content: dict[str, bytes], tmp_path: Path) -> None:
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(body=gzip.compress(content[TEST_LABELS]), stall_seconds=3)
    with pytest.raises(DownloadError, match=f"timed out .* \\(gave up after {ATTEMPTS} attempts\\)"):
        download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False, timeout=0.5)
    assert len(server.requests) == ATTEMPTS and _leftovers(tmp_path) == []


def test_a_failed_download_never_replaces_a_good_file(server: MirrorServer, mnist_dir: Path, tmp_path: Path) -> None:
    good = (mnist_dir / f"{TEST_LABELS}.gz").read_bytes()
    (tmp_path / f"{TEST_LABELS}.gz").write_bytes(good)
    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(body=b"\x1f\x8b garbage")
    with pytest.raises(DownloadError):
        download_file(TEST_LABELS, tmp_path, [server.url("a")], progress=False)
    assert (tmp_path / f"{TEST_LABELS}.gz").read_bytes() == good and _leftovers(tmp_path) == [f"{TEST_LABELS}.gz"]


def test_present_files_are_not_downloaded_again(server: MirrorServer, mnist_dir: Path, tmp_path: Path) -> None:
    (tmp_path / f"{TEST_LABELS}.gz").write_bytes((mnist_dir / f"{TEST_LABELS}.gz").read_bytes())
    assert download_mnist(tmp_path, [server.url("a")], names=[TEST_LABELS], progress=False) == []
    assert server.requests == []


def test_the_default_cache_is_filled_by_downloading(server: MirrorServer, content: dict[str, bytes], mnist: object,
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, data in content.items():
        server.routes[f"/a/{name}.gz"] = Route(body=gzip.compress(data, compresslevel=1))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DIGITPAD_MNIST_DIR", raising=False)
    downloaded = obtain_mnist(None, [server.url("a")], progress=False)
    assert np.array_equal(downloaded.test_images, mnist.test_images)  # type: ignore[attr-defined]
    assert len(list((tmp_path / "cache").rglob("*.gz"))) == 4
    obtain_mnist(None, [server.url("a")], progress=False)  # second time: from the cache
    assert len(server.requests) == 4


def test_download_command(server: MirrorServer, content: dict[str, bytes], training_command: list[str],
                          tmp_path: Path) -> None:
    for name, data in content.items():
        server.routes[f"/a/{name}.gz"] = Route(body=gzip.compress(data, compresslevel=1))
    result = subprocess.run([*training_command, "download", "--data-dir", str(tmp_path),
                             "--mirror", server.url("a"), "--quiet"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "MNIST verified (4 file(s) downloaded)" in result.stdout
    load_mnist(tmp_path)

    server.routes[f"/a/{TEST_LABELS}.gz"] = Route(status=404)
    (tmp_path / f"{TEST_LABELS}.gz").unlink()
    result = subprocess.run([*training_command, "download", "--data-dir", str(tmp_path),
                             "--mirror", server.url("a"), "--quiet"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1 and "HTTP 404" in result.stderr and MNIST_MD5[TEST_LABELS] in result.stderr


def test_the_default_mirrors_are_never_reached_from_tests(tmp_path: Path) -> None:
    """The guard in conftest.py turns any connection beyond 127.0.0.1 into a failure."""
    with pytest.raises(AssertionError, match="must stay on 127.0.0.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routable


def test_an_endless_server_stops_at_the_expected_size(server: MirrorServer, content: dict[str, bytes],
                                                      tmp_path: Path) -> None:
    """A mirror that never stops sending is cut off just past the file's size, and the next one is used."""
    server.routes[f"/endless/{TEST_LABELS}.gz"] = Route(body=os.urandom(1 << 16), endless=True)
    server.routes[f"/good/{TEST_LABELS}.gz"] = Route(body=gzip.compress(content[TEST_LABELS]))
    paths = download_mnist(tmp_path, [server.url("endless"), server.url("good")], names=[TEST_LABELS], progress=False)
    assert paths == [tmp_path / f"{TEST_LABELS}.gz"] and _leftovers(tmp_path) == [f"{TEST_LABELS}.gz"]
    with pytest.raises(DownloadError, match=r"sent more than 75,544 bytes"):
        download_file(TEST_LABELS, tmp_path, [server.url("endless")], progress=False)


def test_a_server_that_offers_too_much_is_refused_before_reading(server: MirrorServer, tmp_path: Path) -> None:
    server.routes[f"/big/{TEST_LABELS}.gz"] = Route(body=b"\0" * 200_000)
    with pytest.raises(DownloadError, match="offers 200,000 bytes; the file is at most 75,544"):
        download_file(TEST_LABELS, tmp_path, [server.url("big")], progress=False)
    assert server.requests == [f"/big/{TEST_LABELS}.gz"]  # final: not retried


def test_a_server_that_trickles_is_stopped_by_the_overall_deadline(
    server: MirrorServer, content: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never silent for the 30 s timeout, a byte at a time: the attempt's deadline ends it."""
    monkeypatch.setattr(training.download, "DEADLINE_SECONDS", 1.0)
    server.routes[f"/slow/{TEST_LABELS}.gz"] = Route(body=gzip.compress(content[TEST_LABELS]), trickle_seconds=0.05)
    with pytest.raises(DownloadError, match=r"too slow: \d+ bytes in 1 s") as caught:
        download_file(TEST_LABELS, tmp_path, [server.url("slow")], progress=False)
    assert MNIST_MD5[TEST_LABELS] in str(caught.value) and _leftovers(tmp_path) == []


def test_a_gzip_bomb_in_the_data_folder_is_refused_without_inflating_it(tmp_path: Path) -> None:
    """4 MB of gzip that would inflate to 4 GB: read as a stream that stops past the real file's size."""
    bomb = tmp_path / f"{TEST_LABELS}.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as stream:
        block = b"\0" * (1 << 20)
        for _ in range(64):  # 64 MiB is enough to show it: reading stops at 10,009 bytes
            stream.write(block)
    before = _peak_rss_mib()
    with pytest.raises(DatasetError, match="wrong content: more than the 10,008 bytes of the real file"):
        load_file(tmp_path, TEST_LABELS)
    assert _peak_rss_mib() - before < 32


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
