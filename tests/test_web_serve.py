"""`edcat serve --workers 2` as a user runs it: two processes sharing the port, stopped cleanly,
and a taken port refused in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.web_helpers import build_web_catalogue
from web.serving import can_share_port

pytestmark = pytest.mark.skipif(not can_share_port(), reason="needs SO_REUSEPORT")
EDCAT = [str(Path(sys.executable).with_name("edcat"))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    listed = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True)
    return [int(n) for n in listed.stdout.split()]


def wait_for_page(url: str, process: subprocess.Popen, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no page at {url} within {seconds} s")


@pytest.fixture
def db(tmp_path):
    build_web_catalogue(tmp_path / "web.db").close()
    return tmp_path / "web.db"


def test_two_workers_serve_and_stop_cleanly(db):
    port = free_port()
    command = [*EDCAT, "--db", str(db), "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert b"Padlet" in wait_for_page(f"http://127.0.0.1:{port}/", server)
        workers = [pid for pid in children(server.pid) if _is_worker(pid)]
        assert len(workers) == 2
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        server.kill()


def test_a_taken_port_is_one_clear_line(db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [*EDCAT, "--db", str(db), "serve", "--port", str(port), "--workers", "2"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
