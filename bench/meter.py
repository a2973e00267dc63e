"""What every benchmark prints next to wall time: CPU seconds and peak resident memory
of the measured process, and a moto server in a process of its own.

Peak memory is the process's own high-water mark (``VmHWM`` in ``/proc/self/status``),
reset when a process starts a new program. ``getrusage``'s ``ru_maxrss`` is not: on Linux
a child started from a large parent reports the parent's size at fork, so a benchmark
that generates its data and then measures a child would report the generator's peak.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def reset_peak_rss() -> None:
    """Start a new high-water mark (Linux 4.0+: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@dataclass
class Meter:
    """Wall and CPU seconds of a block, and the peak RSS at its end."""

    wall: float = 0.0
    cpu: float = 0.0
    peak_mb: float = 0.0

    def __enter__(self) -> Meter:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        self.peak_mb = peak_rss_mb()

    def line(self) -> str:
        return f"wall {self.wall:.2f} s, CPU {self.cpu:.2f} s, peak RSS {self.peak_mb:.0f} MB"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_moto(
    port: int, script: str | None = None, args: tuple[str, ...] = (), timeout: float = 120
) -> subprocess.Popen[bytes]:
    """A moto server on 127.0.0.1:``port`` in its own process (its CPU and memory are
    not the measured client's). ``script`` runs in that process instead of the stock
    ``moto_server`` (a benchmark's patch of moto, say), with ``port`` and ``args`` as
    its arguments; ``timeout`` is how long it may take to open its port (a script that
    seeds a fleet before serving takes longer)."""
    if script is None:
        command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1"]
        command += ["-p", str(port)]
    else:
        command = [sys.executable, "-c", script, str(port), *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("moto_server did not start")
