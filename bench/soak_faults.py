"""A longer soak of the fault suite: many kills at random points over several weeks.

The real ``offhours run`` against moto through the fault proxy, as in ``tests/faults/``:
a run is killed (SIGKILL) before or after a chosen StopInstances / StartInstances call or
S3 PUT, seeded so a failure can be replayed; then clean runs, and the five invariants.

    .venv/bin/python bench/soak_faults.py --kills 200 --seed 11
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "faults"))
sys.path.insert(1, str(Path(__file__).resolve().parent))

import kit
from meter import peak_rss_mb
from proxy import fault_proxy

from sandbox.moto_server import moto_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--instances", type=int, default=30)
    parser.add_argument("--share", type=float, default=0.75, help="share of runs killed")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    rng = random.Random(args.seed)
    started = time.monotonic()
    kills = runs = 0
    with moto_server() as moto, fault_proxy(moto) as proxy, kit.launch_time_follows_the_clock():
        world = kit.World(moto, proxy, f"soak-{args.seed}", kit.fleet(args.instances))
        monday = kit.MONDAY
        first = kit.FRIDAY - timedelta(days=2)
        # Enough weeks for the kills wanted (about 40 weekday runs a week).
        weeks = max(1, -(-args.kills // int(30 * args.share)))
        last = monday + timedelta(weeks=weeks - 1)
        for when in kit.kill_timeline(first, last):
            runs += 1
            if kills < args.kills and when.weekday() < 5 and rng.random() < args.share:
                kills += world.run(when, kit.plan_kill(rng, world, when)).killed
            else:
                world.run(when)
        end = kit.at(last, "12:00")
        for when in (kit.at(last, "11:00"), end):
            world.run(when)
            runs += 1
        verdict = kit.judge(world, end)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {
        "kills": kills,
        "runs": runs,
        "wall_seconds": round(time.monotonic() - started, 1),
        "cpu_seconds_children": round(cpu.ru_utime + cpu.ru_stime, 1),
        # The largest run's peak (each run is a fresh ``offhours`` process), and this one's.
        "peak_rss_mb_largest_run": round(cpu.ru_maxrss / 1024),
        "peak_rss_mb_soak": round(peak_rss_mb()),
        "failures": verdict.failures(),
        "verify": verdict.verify,
    }
    print(json.dumps(report, indent=1, default=str)[:20000])
    return 1 if verdict.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
