"""`edcat serve --workers N`: N uvicorn processes, each listening on its own socket.

uvicorn's own workers share one listening socket, and whichever worker wakes first accepts a
burst of connections: with 50 keep-alive clients one worker held about 40 of them, so its
pages took four times as long as the other's. Here each worker binds the port with
SO_REUSEPORT, and the kernel spreads new connections evenly over them. Where the option is
missing, uvicorn's supervisor serves instead.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from multiprocessing.connection import wait

from catalogue.errors import EdcatError


class PortUnavailable(EdcatError):
    """The address is taken or not this machine's."""


APP_FACTORY = "web.app:app_from_environment"  # reads the catalogue path from the environment
STOP_SECONDS = 10


def can_share_port() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")


def serve_workers(host: str, port: int, workers: int) -> int:
    """Run `workers` server processes on `host:port` until one exits or we are stopped.

    Returns the exit status: 0 when stopped by SIGINT or SIGTERM, else the failed worker's."""
    probe = _shared_socket(host, port)  # fails here, in one line, if the port is taken
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(host, port)) for _ in range(workers)]
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        for process in processes:
            process.start()
        probe.close()
        ended = wait([p.sentinel for p in processes])
        return next(p.exitcode for p in processes if p.sentinel in ended) or 0
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        probe.close()
        _stop_all(processes)


def _stop(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _stop_all(processes) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # uvicorn finishes the requests in flight on SIGTERM
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def _shared_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortUnavailable(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock  # bound, not listening: it takes no connections until a worker listens


def _worker(host: str, port: int) -> None:
    import uvicorn

    sock = _shared_socket(host, port)
    config = uvicorn.Config(APP_FACTORY, factory=True, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
