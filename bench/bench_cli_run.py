"""Benchmark ``offhours run`` as a person runs it: the console command, output to a file.

Usage: .venv/bin/python bench/bench_cli_run.py [--instances 2000] [--repeat 1]

Starts the patched moto server of ``bench_ec2.py`` (in its own process) with N EC2
instances, half tagged ``schedule=office-hours``, and runs ``offhours run`` in the
evening as a child process with standard output to a file, so the stop of N/2 instances
and the printing of their table are both measured. Prints the child's CPU seconds (user
+ system, from ``wait4``) and its peak RSS, and the size of the output.

``--floor`` first runs the plain-boto3 floor on a fleet of its own: a child Python that
imports boto3, describes the tagged running instances, stops them 200 at a time and
prints one line per instance to a file, as a hand-written script would.
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


FLOOR = """
import sys, boto3
ec2 = boto3.client("ec2", region_name=sys.argv[2], endpoint_url=sys.argv[1])
ids = []
for page in ec2.get_paginator("describe_instances").paginate(
    Filters=[{"Name": "tag:schedule", "Values": ["office-hours"]},
             {"Name": "instance-state-name", "Values": ["running"]}]):
    for reservation in page["Reservations"]:
        ids += [i["InstanceId"] for i in reservation["Instances"]]
for n in range(0, len(ids), 200):
    ec2.stop_instances(InstanceIds=ids[n:n + 200])
for i in ids:
    print(i, "stopped")
"""


def run_floor(endpoint: str, out: Path) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of the plain-boto3 script, output to a file."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    with out.open("w") as stdout:
        child = subprocess.Popen(
            [sys.executable, "-c", FLOOR, endpoint, REGION], stdout=stdout, env=env
        )
        _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the plain-boto3 script failed")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def floor(count: int) -> None:
    port = free_port()
    server = start_moto(port, MOTO, (str(count),), timeout=60 + count * 0.1)
    try:
        with tempfile.TemporaryDirectory() as work:
            cpu, rss = run_floor(f"http://127.0.0.1:{port}", Path(work) / "floor.txt")
    finally:
        server.kill()
        server.wait()
    print(
        f"plain boto3, {count} instances ({count // 2} stopped): "
        f"CPU {cpu:.2f} s, peak RSS {rss:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--floor", action="store_true", help="also run the plain-boto3 floor")
    args = parser.parse_args()
    if args.floor:
        floor(args.instances)
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
