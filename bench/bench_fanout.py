"""Benchmark the Step Functions fan-out locally: the distributed Map of
``infra/aws/state-machine.asl.json`` over N targets in batches of B, with W invocations
at a time.

Usage: .venv/bin/python bench/bench_fanout.py [--targets 852] [--batch 50]
       [--workers 8,32] [--latency-ms 50]

A local stand-in for the state machine, with the same inputs and outputs, the payloads
taken from the shipped definition by ``sandbox/step_functions.py``:

1. ``ListTargets``: the Lambda handler (``functions.clouds.aws_lambda.handler``) called with
   the task's payload, ``{"action": "list-targets", "scheduled_time": ...}``; its answer,
   through the task's ResultSelector, is the Map's input.
2. ``RunEachBatch``: the Map's ItemBatcher cuts the targets into batches of at most B
   (``MapMaxItemsPerBatch``); each child's Task calls the handler with
   ``{"scheduled_time": ..., "targets": [B items]}``, in a pool of W worker processes.
   Each worker is one warm Lambda execution environment: it imports the handler once and
   serves invocations one after another, each building its settings, connection and job
   from the environment as a real invocation does. The Map's result is the number of
   batches, as its ResultSelector says.

Same moto server and fleet as ``bench_targets.py`` (accounts x 6 regions, three tagged
instances per target, a member role per account) and the same latency per AWS call.
Printed per W: wall time of the whole execution, the invocations' CPU seconds, the
largest worker's peak RSS, calls, and ``projected``: the wall time if every
invocation had a CPU of its own (as Lambda gives each), i.e. the invocations' wall
times laid out on W lanes. On a small shared machine the measured wall is bounded by its
cores; the projection is what the Map would take.
"""

from __future__ import annotations

import argparse
import heapq
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from bench_targets import (
    FAKE,
    INSTANCES_PER_TARGET,
    ROLE,
    cell_of,
    restart_all,
    seed,
)
from meter import Meter, free_port, peak_rss_mb, start_moto

ASL = Path(__file__).resolve().parents[1] / "infra" / "aws" / "state-machine.asl.json"
SCHEDULED_TIME = "2026-11-23T19:05:00Z"  # a Monday evening: office-hours off
BUDGET_MS = 15 * 60 * 1000


class LambdaContext:
    """What the handler and Powertools read from Lambda's context object."""

    function_name = "offhours-scheduler"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:offhours-scheduler"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id
        self._deadline = time.monotonic() + BUDGET_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


_CALLS = [0]


def _warm_up(latency_ms: float) -> None:
    """Worker start (a Lambda execution environment): delay every HTTP request by the
    benchmark's latency, keep the handler's JSON logs off the terminal, import it."""
    from botocore.httpsession import URLLib3Session

    send = URLLib3Session.send

    def slow_send(self: Any, request: Any) -> Any:
        _CALLS[0] += 1
        time.sleep(latency_ms / 1000)
        return send(self, request)

    URLLib3Session.send = slow_send  # benchmark only: the network's round trip
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the worker's lifetime
    import functions.clouds.aws_lambda  # noqa: F401 - the cold start, once per worker


def invoke(payload: dict[str, Any], request_id: str) -> dict[str, Any]:
    """One Lambda invocation in this worker; returns its output and what it cost."""
    from functions.clouds.aws_lambda import handler

    calls, cpu, wall = _CALLS[0], time.process_time(), time.perf_counter()
    output = handler(payload, LambdaContext(request_id))
    return {
        "output": output,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "calls": _CALLS[0] - calls,
        "peak_mb": peak_rss_mb(),
        "pid": os.getpid(),
    }


def execution(targets: int, workers: int, latency_ms: float, batch: int) -> dict[str, Any]:
    """One state machine execution: ListTargets, then the Map over its batches."""
    from sandbox.step_functions import FanOut, substitute

    definition = substitute(
        ASL.read_text(),
        {
            "SchedulerFunctionArn": LambdaContext.invoked_function_arn,
            "MapMaxConcurrency": str(workers),
            "MapMaxItemsPerBatch": str(batch),
            "Partition": "aws",
        },
    )
    fan_out = FanOut(definition)
    context = multiprocessing.get_context("spawn")
    with (
        Meter() as meter,
        ProcessPoolExecutor(workers, context, initializer=_warm_up, initargs=(latency_ms,)) as pool,
    ):
        event = fan_out.listing_event({"scheduled_time": SCHEDULED_TIME})
        listed = pool.submit(invoke, event, "list").result()
        events = fan_out.child_events(listed["output"])
        futures = [pool.submit(invoke, e, f"batch-{n}") for n, e in enumerate(events)]
        runs = [f.result() for f in futures]
    map_output = {"batches": len(runs)}  # the Map's ResultSelector
    stopped = sum(r["output"]["actions"].get("stop-done", 0) for r in runs)
    errors = [e for r in runs for e in r["output"]["errors"]]
    deferred = [t for r in runs for t in r["output"]["deferred"]]
    return {
        "wall": meter.wall,
        "cpu": listed["cpu"] + sum(r["cpu"] for r in runs),
        "calls": listed["calls"] + sum(r["calls"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in [listed, *runs]),
        "projected": listed["wall"] + _lanes([r["wall"] for r in runs], workers),
        "invocation_wall": sum(r["wall"] for r in runs) / max(1, len(runs)),
        "map_output": map_output,
        "stopped": stopped,
        "expected": targets * INSTANCES_PER_TARGET,
        "errors": errors[:5],
        "deferred": deferred,
    }


def _lanes(durations: list[float], lanes: int) -> float:
    """When the last of ``durations`` ends if each starts on the first free lane, in
    order, as the Map starts items while at most ``lanes`` run."""
    free = [0.0] * lanes
    for duration in durations:
        heapq.heappush(free, heapq.heappop(free) + duration)
    return max(free)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=852)
    parser.add_argument("--regions", type=int, default=6)
    parser.add_argument(
        "--batch", type=int, default=50, help="targets a batch (MapMaxItemsPerBatch)"
    )
    parser.add_argument("--workers", default="8,32", help="Map concurrencies, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    cell = cell_of(args.targets, args.regions)
    ledger = tempfile.mkdtemp(prefix="offhours-bench-fanout-")
    os.environ.update(FAKE)
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": cell.regions[0],
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "OFFHOURS_PROVIDERS": "aws",
            "OFFHOURS_LEDGER": ledger,
            "OFFHOURS_AWS_ACCOUNTS": ",".join(cell.accounts),
            "OFFHOURS_AWS_REGIONS": ",".join(cell.regions),
            "OFFHOURS_AWS_ROLE_NAME": ROLE,
            "OFFHOURS_AWS_ENDPOINT_URL": endpoint,
        }
    )
    server = start_moto(port)
    try:
        seed(endpoint, cell, set())
        print(
            f"offhours Step Functions fan-out, local stand-in: {cell.size} targets, "
            f"{args.latency_ms:.0f} ms per AWS call, one handler invocation per batch of "
            f"{args.batch} targets\n"
        )
        print(
            f"{'workers':>7} {'batches':>7} {'calls':>6} {'wall s':>7} {'projected s':>11} "
            f"{'per batch s':>11} {'CPU s':>6} {'peak MB':>7}"
        )
        for workers in (int(w) for w in args.workers.split(",")):
            out = execution(cell.size, workers, args.latency_ms, args.batch)
            if out["errors"] or out["deferred"] or out["stopped"] != out["expected"]:
                print(
                    f"unexpected: {out['errors']} deferred={len(out['deferred'])} "
                    f"stopped={out['stopped']}/{out['expected']}"
                )
            print(
                f"{workers:>7} {out['map_output']['batches']:>7} {out['calls']:>6} "
                f"{out['wall']:>7.1f} {out['projected']:>11.1f} {out['invocation_wall']:>11.2f} "
                f"{out['cpu']:>6.1f} {out['peak_mb']:>7.0f}",
                flush=True,
            )
            restart_all(endpoint, cell)
            # The next execution starts from the same fleet and an empty ledger.
            os.environ["OFFHOURS_LEDGER"] = tempfile.mkdtemp(prefix="offhours-bench-fanout-")
    finally:
        server.kill()
        server.wait()
    print(f"\nledgers written under {Path(ledger).parent}/offhours-bench-fanout-*")


if __name__ == "__main__":
    main()
