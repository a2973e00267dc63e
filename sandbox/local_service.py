"""Run a local emulator as a subprocess on a free loopback port, for tests and the demo."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


class ServiceError(RuntimeError):
    """The emulator could not be found or did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(name: str, port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"{name} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise ServiceError(f"{name} did not open port {port} within {timeout:.0f}s")


@contextmanager
def run_on_free_port(
    name: str, command: Callable[[int], Sequence[str]], timeout: float, cwd: Path | None = None
) -> Iterator[int]:
    """Start ``command(port)``; yield the port once it accepts connections; stop it on exit."""
    port = free_port()
    process = subprocess.Popen(
        list(command(port)), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(name, port, process, timeout)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
