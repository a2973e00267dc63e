"""Run Azurite's Blob service (in memory) for tests and the demo.

    with start_azurite() as endpoint:   # "http://127.0.0.1:PORT/devstoreaccount1"
        store = BlobStore("azblob://devstoreaccount1/ledger/offhours", endpoint_url=endpoint)

Azurite comes from npm (``npm install`` at the repository root, see ``package.json``);
it is started from ``node_modules/.bin/azurite-blob``.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BINARY = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"


class AzuriteError(RuntimeError):
    """Azurite is not installed or did not start."""


def azurite_installed() -> bool:
    return BINARY.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AzuriteError(f"azurite-blob exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AzuriteError(f"azurite-blob did not open port {port} within {timeout:.0f}s")


@contextmanager
def start_azurite(timeout: float = 30.0) -> Iterator[str]:
    """Start Azurite Blob on a free port; yield the account's blob endpoint; stop it on exit."""
    if not azurite_installed():
        raise AzuriteError(
            f"Azurite is not installed ({BINARY} is missing): run `npm install` in {REPO_ROOT}"
        )
    port = _free_port()
    command = [
        str(BINARY),
        "--blobHost", "127.0.0.1",
        "--blobPort", str(port),
        "--skipApiVersionCheck",
        "--silent",
        "--inMemoryPersistence",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, process, timeout)
        yield f"http://127.0.0.1:{port}/{ACCOUNT}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
