"""Benchmark ``offhours run`` as a person runs it: the console command, output to a file.

Usage: .venv/bin/python bench/bench_cli_run.py [--instances 2000] [--repeat 1]

Starts the patched moto server of ``bench_ec2.py`` (in its own process) with N EC2
instances, half tagged ``schedule=office-hours``, and runs ``offhours run`` in the
evening as a child process with standard output to a file, so the stop of N/2 instances
and the printing of their table are both measured. Prints the child's CPU seconds (user
+ system, from ``wait4``) and its peak RSS, and the size of the output.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ec2 import ACCOUNT, MOTO, REGION
from meter import free_port, start_moto

EVENING = "2026-11-23T20:00:00+00:00"


def run_cli(endpoint: str, ledger: str, out: Path, root: Path) -> tuple[float, float, float]:
    """CPU seconds, peak RSS (MB) and wall seconds of one ``offhours run`` child."""
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "OFFHOURS_AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    command = [sys.executable, "-m", "functions.cli.main", "run", "--region", REGION]
    command += ["--account", ACCOUNT, "--kinds", "ec2", "--ledger", ledger, "--at", EVENING]
    started = time.perf_counter()
    with out.open("w") as stdout:
        child = subprocess.Popen(command, stdout=stdout, env=env, cwd=root)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"offhours run exited {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    args = parser.parse_args()
    port = free_port()
    server = start_moto(port, MOTO, (str(args.instances),), timeout=60 + args.instances * 0.1)
    try:
        with tempfile.TemporaryDirectory() as ledger:
            out = Path(ledger) / "run.txt"
            cpu, rss, wall = run_cli(
                f"http://127.0.0.1:{port}", f"{ledger}/l", out, Path(args.root)
            )
            lines = out.read_text().splitlines()
    finally:
        server.kill()
        server.wait()
    print(
        f"offhours run, {args.instances} instances ({args.instances // 2} stopped), "
        f"output to a file: CPU {cpu:.2f} s, peak RSS {rss:.0f} MB, wall {wall:.1f} s, "
        f"{len(lines)} lines, widest {max(map(len, lines), default=0)} characters"
    )


if __name__ == "__main__":
    main()
