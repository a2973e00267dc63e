"""Run Azurite's Blob service (in memory) for tests and the demo.

    with start_azurite() as endpoint:   # "http://127.0.0.1:PORT/devstoreaccount1"
        store = BlobStore("azblob://devstoreaccount1/ledger/offhours", endpoint_url=endpoint)

Azurite comes from npm (``npm install`` at the repository root, see ``package.json``);
it is started from ``node_modules/.bin/azurite-blob``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.local_service import ServiceError, run_on_free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
BINARY = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"


class AzuriteError(ServiceError):
    """Azurite is not installed or did not start."""


def azurite_installed() -> bool:
    return BINARY.exists()


@contextmanager
def start_azurite(timeout: float = 30.0) -> Iterator[str]:
    """Start Azurite Blob on a free port; yield the account's blob endpoint; stop it on exit."""
    if not azurite_installed():
        raise AzuriteError(
            f"Azurite is not installed ({BINARY} is missing): run `npm install` in {REPO_ROOT}"
        )

    def command(port: int) -> list[str]:
        return [
            str(BINARY),
            "--blobHost", "127.0.0.1",
            "--blobPort", str(port),
            "--skipApiVersionCheck",
            "--silent",
            "--inMemoryPersistence",
        ]  # fmt: skip

    with run_on_free_port("azurite-blob", command, timeout, cwd=REPO_ROOT) as port:
        yield f"http://127.0.0.1:{port}/{ACCOUNT}"
