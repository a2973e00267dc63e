"""Benchmark the fan-out over targets: N account x region targets in one process.

Usage: .venv/bin/python bench/bench_targets.py [--targets 12,60,240,852] [--workers 8]
       [--latency-ms 50] [--warm] [--job run,inventory] [--calls] [--stock-moto]
       [--reuse-server PORT,PID] [--own-cost]

A moto server on loopback, in a process of its own, holds a few tagged EC2 instances per
target (accounts x 6 regions). Each configuration runs in a fresh child process, as a
cold Lambda invocation would: it builds the job, runs the evening stop over every target
and prints the calls it made, wall and CPU seconds, its own peak RSS and how many
``AssumeRole`` calls it made. Every AWS call is delayed on the client side (a botocore
``before-send`` hook sleeping ``--latency-ms``), which is what makes a real run slow: it
waits on the network. Each member account is entered by assuming a role, as in an
Organizations deployment, and every registered AWS kind discovers (most find nothing:
their calls still cost a round trip). Between configurations the instances are started
again directly, without latency. ``--job inventory`` measures the daily inventory job
over the same targets instead (it lists, and changes nothing).

``--own-cost`` counts the store requests of the evening stop and of a quiet run 15
minutes later on the same ledger (nothing to change: what most of a day's 96 runs are),
as ``offhours run`` reports them (``providers/metering.py``), and prices a month of quiet
runs at list price (``functions/jobs/own_cost.py``, docs/own-cost.md): on S3, with one
Lambda invocation per run, and with the Step Functions fan-out.

Next to each row: the moto server's CPU seconds during the row (it shares the machine's
cores, so its CPU is wall time for the client) and the load average. The server is
moto with three per-request costs of its own removed (``bench/moto_patch.py``; the
answers are moto's); ``--stock-moto`` runs the stock server. Seeding 852 targets takes
minutes: ``--reuse-server`` runs against a server started beforehand and keeps it (and
its fleet) for the next invocation.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from meter import Meter, free_port, start_moto

from providers.metering import Meter as StoreMeter

ROLE = "offhours-member"
REGIONS = ("eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-1", "eu-west-2")
INSTANCES_PER_TARGET = 3
FIRST_ACCOUNT = 200000000000
STOP_AT = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)  # a Monday evening: office-hours off
QUIET_AT = datetime(2026, 11, 23, 19, 20, tzinfo=UTC)  # the next run: nothing left to do
# An hour after the stop: nothing to do either, but each target's hourly still-off
# checkpoint is due (checkpoint_minutes, docs/ledger.md).
CHECKPOINT_AT = datetime(2026, 11, 23, 20, 10, tzinfo=UTC)
# Hours of a week something is off under office-hours (08:00-19:00 on weekdays).
OFF_SHARE = (5 * 13 + 48) / 168
ASL = Path(__file__).resolve().parents[1] / "infra" / "aws" / "state-machine.asl.json"
LAMBDA_MB = 512  # the scheduler function's MemorySize in template.yaml
FAKE = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# The benchmark's moto server: moto with three of its per-request costs removed (read
# bench/moto_patch.py); ``--stock-moto`` runs the stock one.
MOTO_PATCHED = Path(__file__).with_name("moto_patch.py").read_text()


@dataclass(frozen=True)
class Cell:
    accounts: tuple[str, ...]
    regions: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.accounts) * len(self.regions)

    def to_json(self) -> dict[str, Any]:
        return {"accounts": list(self.accounts), "regions": list(self.regions)}


def cell_of(targets: int, regions: int) -> Cell:
    accounts = -(-targets // regions)
    return Cell(tuple(str(FIRST_ACCOUNT + i) for i in range(accounts)), REGIONS[:regions])


class Latency:
    """Sleeps before every request sent and counts the calls (thread-safe)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def sleep(self, **_: Any) -> None:
        time.sleep(self.seconds)

    def register(self, events: Any) -> None:
        events.register("before-call", self.count, unique_id="bench-count")
        events.register("before-send", self.sleep, unique_id="bench-latency")

    def attach(self, connection: Any) -> None:
        """Every client the connection makes copies the session's hooks (whether it
        comes from ``providers/aws/clients.py`` or ``Session.create_client``), so one
        registration on the session reaches them all, and a client that is never made
        is never counted."""
        self.register(connection.session.events)


def member_session(endpoint: str, account: str) -> Any:
    import boto3

    sts = boto3.client("sts", region_name=REGIONS[0], endpoint_url=endpoint)
    arn = f"arn:aws:iam::{account}:role/{ROLE}"
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="bench")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def seed(endpoint: str, cell: Cell, seeded: set[str], reused: bool = False) -> None:
    """Three tagged instances per target; on a reused server, accounts that already have
    instances in the first region were seeded by an earlier invocation."""
    spec = [{"ResourceType": "instance", "Tags": [{"Key": "schedule", "Value": "office-hours"}]}]
    for account in cell.accounts:
        if account in seeded:
            continue
        session = member_session(endpoint, account)
        if reused:
            ec2 = session.client("ec2", region_name=cell.regions[0], endpoint_url=endpoint)
            if ec2.describe_instances(MaxResults=5)["Reservations"]:
                seeded.add(account)
                continue
        for region in cell.regions:
            session.client("ec2", region_name=region, endpoint_url=endpoint).run_instances(
                ImageId="ami-12c6146b",
                MinCount=INSTANCES_PER_TARGET,
                MaxCount=INSTANCES_PER_TARGET,
                InstanceType="t3.medium",
                TagSpecifications=spec,
            )
        seeded.add(account)


def restart_all(endpoint: str, cell: Cell) -> None:
    for account in cell.accounts:
        session = member_session(endpoint, account)
        for region in cell.regions:
            ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
            pages = ec2.get_paginator("describe_instances").paginate(
                Filters=[{"Name": "instance-state-name", "Values": ["stopped", "stopping"]}]
            )
            ids = [
                i["InstanceId"] for p in pages for r in p["Reservations"] for i in r["Instances"]
            ]
            if ids:
                ec2.start_instances(InstanceIds=ids)


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One configuration, in this (fresh) process: build the job, run it, measure."""
    import boto3

    from functions.jobs.inventory import take_inventory
    from functions.jobs.reconcile import reconcile
    from functions.settings import Settings
    from functions.wiring import build_job
    from providers.aws.connection import connect

    cell = Cell(tuple(spec["accounts"]), tuple(spec["regions"]))
    settings = Settings(providers=("aws",), max_workers=spec["workers"]).replace(
        aws_accounts=cell.accounts,
        aws_regions=cell.regions,
        aws_role_name=ROLE,
        aws_endpoint_url=spec["endpoint"],
    )
    runs = []
    meter = Meter()
    with meter:
        session = boto3.Session(region_name=cell.regions[0], **_fake_keys())
        connection = connect(settings.provider_config("aws"), session=session)
        latency = Latency(spec["latency_ms"] / 1000)
        latency.attach(connection)
        for index in range(2 if spec["warm"] else 1):
            if index:
                restart_all(spec["endpoint"], cell)
            ledger = tempfile.mkdtemp(prefix="offhours-bench-")
            own, store_calls = bool(spec.get("own_cost")), StoreMeter()
            job = build_job(
                settings.replace(ledger=ledger),
                lambda: STOP_AT,
                connections={"aws": connection},
                meter=store_calls if own else None,
            )
            before = latency.calls.copy()
            run = Meter()
            inventory = spec.get("job") == "inventory"
            with run, _profiled(spec.get("profile", "")):
                report = take_inventory(job, STOP_AT) if inventory else reconcile(job)
            if inventory:
                done = len(report.resources)  # type: ignore[union-attr]
            else:
                done = sum(1 for r in report.results if r.outcome.value == "done")  # type: ignore[union-attr]
            calls = latency.calls - before
            runs.append(
                {
                    **(_quiet_run(settings, ledger, connection, store_calls) if own else {}),
                    "wall": run.wall,
                    "cpu": run.cpu,
                    "calls": sum(calls.values()),
                    "assume_role": calls["AssumeRole"],
                    "get_resources": calls["GetResources"],
                    "stopped": done,
                    "errors": report.errors[:5],
                    "by_call": dict(calls.most_common()),
                }
            )
    return {"runs": runs, "peak_mb": meter.peak_mb, "process_cpu": meter.cpu}


def _quiet_run(settings: Any, ledger: str, connection: Any, stop: Any) -> dict[str, Any]:
    """The store requests of the run just made, then of a run 15 minutes later on the
    same ledger with nothing left to do; the quiet run's wall seconds."""
    from functions.jobs.reconcile import reconcile
    from functions.wiring import build_job

    found: dict[str, Any] = {"own_stop": stop.counts()}
    for name, at in (("quiet", QUIET_AT), ("checkpoint", CHECKPOINT_AT)):
        meter = StoreMeter()
        job = build_job(
            settings.replace(ledger=ledger),
            lambda at=at: at,
            connections={"aws": connection},
            meter=meter,
        )
        started = time.monotonic()
        reconcile(job)
        found[f"{name}_wall"] = time.monotonic() - started
        found[f"own_{name}"] = meter.counts()
    return found


def own_cost_lines(run: dict[str, Any], targets: int) -> list[str]:
    """A month (96 runs a day, 30 days) of quiet runs at list price."""
    from functions.jobs import own_cost

    quiet = run["own_quiet"]
    # Each target's checkpoint hour: what it writes beyond a quiet run, in the hours
    # something is off.
    extra = {
        k: round((v - quiet.get(k, 0)) * OFF_SHARE / 4)
        for k, v in run.get("own_checkpoint", {}).items()
    }
    month = own_cost.monthly({k: quiet.get(k, 0) + extra.get(k, 0) for k in {*quiet, *extra}})
    store = own_cost.cost(month, "s3")
    single = {
        "lambda_invocations": 1,
        own_cost.LAMBDA_MB_MS: own_cost.lambda_mb_ms(run["quiet_wall"], LAMBDA_MB),
    }
    one = own_cost.cost(own_cost.monthly(single), "s3")
    definition = json.loads(ASL.read_text())
    transitions = own_cost.fan_out_transitions(definition, targets)
    invocations = own_cost.fan_out_invocations(definition, targets)
    fan = own_cost.cost(
        own_cost.monthly({"sfn_transitions": transitions, "lambda_invocations": invocations}),
        "s3",
    )
    puts = month.get("store_writes", 0)
    return [
        f"        store requests, stop run: {json.dumps(run['own_stop'])}",
        f"        store requests, quiet run: {json.dumps(quiet)}",
        f"        store requests, checkpoint run: {json.dumps(run.get('own_checkpoint'))}",
        f"        a month of quiet runs (96 a day, checkpoints {OFF_SHARE:.0%} of hours): "
        f"{puts:,} PUTs, store ${store:,.2f}; "
        f"one Lambda invocation a run ({run['quiet_wall']:.1f} s x {LAMBDA_MB} MB) "
        f"${one:,.2f}; or the Step Functions fan-out, {own_cost.ITEMS_PER_BATCH} targets a "
        f"batch ({transitions:,} transitions and {invocations:,} invocations a run, "
        f"before their duration) ${fan:,.2f}",
    ]


@contextlib.contextmanager
def _profiled(path: str) -> Iterator[None]:
    """CPU time per function (``--profile``): cProfile sees the calling thread only, so
    a profiled run is best made with ``--workers 1``."""
    if not path:
        yield
        return
    import cProfile

    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)


def _fake_keys() -> dict[str, str]:
    return {"aws_access_key_id": FAKE["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": "testing"}


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **FAKE, "AWS_EC2_METADATA_DISABLED": "true"},
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far: the moto server's, which
    shares the machine's cores with the measured client."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="12,60,240,852", help="target counts, comma-separated")
    parser.add_argument("--regions", type=int, default=len(REGIONS), help="regions per account")
    parser.add_argument("--workers", default="8", help="worker counts, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--warm", action="store_true", help="a second run with the same clients")
    parser.add_argument("--profile", default="", help="write a CPU profile of the run here")
    parser.add_argument(
        "--job", default="run", help="run (the scheduling run), inventory, or both: run,inventory"
    )
    parser.add_argument(
        "--reuse-server",
        default="",
        metavar="PORT,PID",
        help="a moto server already running (python bench/moto_patch.py PORT), kept seeded "
        "between invocations; left running",
    )
    parser.add_argument("--calls", action="store_true", help="print the calls per operation")
    parser.add_argument(
        "--stock-moto", action="store_true", help="the stock moto server, without the patch"
    )
    parser.add_argument(
        "--own-cost",
        action="store_true",
        help="count the store requests of a stop run and a quiet run; price a month of them",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    os.environ.update(FAKE)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    reused = bool(args.reuse_server)
    if reused:
        port, pid = (int(n) for n in args.reuse_server.split(","))
        server = None
    else:
        port = free_port()
        server = start_moto(port, script=None if args.stock_moto else MOTO_PATCHED)
        pid = server.pid
    endpoint = f"http://127.0.0.1:{port}"
    seeded: set[str] = set()
    jobs = args.job.split(",")
    print(
        f"offhours targets benchmark: {INSTANCES_PER_TARGET} instances per "
        f"target, {args.latency_ms:.0f} ms per AWS call, every AWS kind discovering, "
        f"one fresh process per row, {'stock' if args.stock_moto else 'patched'} moto server\n"
    )
    print(
        f"{'job':>9} {'targets':>7} {'workers':>7} {'calls':>6} {'AssumeRole':>10} {'GetRes':>6} "
        f"{'wall s':>7} {'CPU s':>6} {'peak MB':>7} {'server CPU s':>12} {'load':>5}"
        + ("  | warm wall s, CPU s" if args.warm else "")
    )
    try:
        for count in (int(n) for n in args.targets.split(",")):
            cell = cell_of(count, args.regions)
            seed(endpoint, cell, seeded, reused)
            for job, workers in ((j, int(w)) for j in jobs for w in args.workers.split(",")):
                spec = {
                    **cell.to_json(),
                    "endpoint": endpoint,
                    "workers": workers,
                    "latency_ms": args.latency_ms,
                    "warm": args.warm,
                    "profile": args.profile,
                    "job": job,
                    "own_cost": args.own_cost,
                }
                server_cpu = process_cpu(pid)
                out = run_child(spec)
                server_cpu = process_cpu(pid) - server_cpu
                cold = out["runs"][0]
                # Stopped by a run; listed by the inventory (each target's three instances).
                expected = cell.size * INSTANCES_PER_TARGET
                for run in out["runs"]:
                    if run["errors"] or run["stopped"] != expected:
                        print(f"unexpected: {run['errors']} done={run['stopped']}/{expected}")
                line = (
                    f"{job:>9} {cell.size:>7} {workers:>7} {cold['calls']:>6} "
                    f"{cold['assume_role']:>10} {cold['get_resources']:>6} {cold['wall']:>7.1f} "
                    f"{cold['cpu']:>6.1f} {out['peak_mb']:>7.0f} {server_cpu:>12.1f} "
                    f"{os.getloadavg()[0]:>5.1f}"
                )
                if args.warm:
                    warm = out["runs"][1]
                    line += f"  | {warm['wall']:>6.1f} {warm['cpu']:>6.1f}"
                print(line, flush=True)
                if args.calls:
                    print("        calls:", json.dumps(cold["by_call"]), flush=True)
                if args.own_cost and job == "run":
                    print("\n".join(own_cost_lines(cold, cell.size)), flush=True)
                if job == "run":
                    restart_all(endpoint, cell)
    finally:
        if server is not None:
            server.kill()
            server.wait()
    print(f"\nledgers written under {Path(tempfile.gettempdir())}/offhours-bench-*")


if __name__ == "__main__":
    main()
