"""The fault suite's harness: a fleet in moto, the real ``offhours`` console script run
as a subprocess through the fault proxy, a simulated clock, and the truth to hold the
ledger to.

The truth is what the test saw, never what offhours says: after every run the harness
reads each instance's state from moto directly (not through the proxy), and an instance
seen stopped after a run is counted off until the next observation. Expected savings are
hourly price (the ``hourly-cost`` tag, else the bundled table) times those off hours.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from proxy import Call, FaultProxy, Rule

from sandbox.moto_server import FAKE_ENV

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TARGET = f"aws:{ACCOUNT}/{REGION}"
PREFIX = "offhours"
# The installed console script; ``OFFHOURS_FAULTS_CLI`` runs the suite against another
# command line instead (another build, a wrapper), split on spaces.
OFFHOURS = os.environ.get("OFFHOURS_FAULTS_CLI", "").split() or [
    str(Path(sys.executable).with_name("offhours"))
]
PRICES = Path(__file__).parents[2] / "providers" / "aws" / "ec2_prices.json"
AMI = "ami-12c6146b"
BATCH = 8  # instances per StopInstances call: a kill can land between two of one run
# A Friday evening to a Monday morning, in November 2026 (UTC, office-hours 08:00-19:00).
FRIDAY = datetime(2026, 11, 27, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


# The simulated instant of the run in flight, for moto's LaunchTime (see below).
_NOW: list[datetime] = []


@contextmanager
def launch_time_follows_the_clock() -> Iterator[None]:
    """AWS sets LaunchTime at every start; moto only at launch, from the wall clock.
    While this is active, a start sets it to the simulated instant of the run in flight,
    as AWS would have (moto runs in this process, so its model can be reached)."""
    from moto.ec2.models.instances import Instance

    original = Instance.start

    def start(self: Any) -> Any:
        previous = original(self)
        if _NOW:
            self.launch_time = _NOW[-1].astimezone(UTC).replace(tzinfo=None)
        return previous

    Instance.start = start  # type: ignore[method-assign]
    try:
        yield
    finally:
        Instance.start = original  # type: ignore[method-assign]


def at(day: datetime, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return day.replace(hour=int(hours), minute=int(minutes))


def office_hours(when: datetime) -> bool:
    """The bundled ``office-hours`` schedule, written out independently of the product."""
    return when.weekday() < 5 and 8 <= when.hour < 19


@dataclass(frozen=True)
class Box:
    name: str
    size: str
    tags: Mapping[str, str] = field(default_factory=dict)


def fleet(count: int = 30, extra: Iterable[Box] = ()) -> list[Box]:
    """``count`` dev boxes of several sizes on ``office-hours``, a few with their own
    ``hourly-cost``, one of them protected as production."""
    sizes = ("t3.medium", "m5.large", "c5.xlarge", "t3.large", "r5.large", "g4dn.xlarge")
    boxes = []
    for n in range(count):
        tags = {"schedule": "office-hours", "team": ("web", "data", "ml")[n % 3]}
        if n % 7 == 3:
            tags["hourly-cost"] = f"{0.05 + n / 100:.2f}"
        if n == count - 1:
            tags["environment"] = "prod"
        boxes.append(Box(f"dev-{n:02d}", sizes[n % len(sizes)], tags))
    return boxes + list(extra)


@dataclass
class Run:
    at: datetime
    code: int  # negative: killed by that signal
    out: str
    err: str
    calls: list[Call] = field(default_factory=list)  # through the proxy (shared if together)

    @property
    def killed(self) -> bool:
        return self.code < 0

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class Observation:
    at: datetime  # the run's --at
    states: dict[str, str]  # instance id -> EC2 state
    # Its --at is not when it ran (a replayed event, a skewed clock): it ran right after
    # the run before it.
    skewed: bool = False


class World:
    """One scenario: a fresh bucket and fleet on a shared moto server and proxy."""

    def __init__(self, moto: str, proxy: FaultProxy, name: str, boxes: list[Box]) -> None:
        import boto3

        _post(f"{moto}/moto-api/reset")
        proxy.reset()
        self.moto, self.proxy = moto, proxy
        self.bucket = name.lower().replace("_", "-")[:50]
        self.ledger = f"s3://{self.bucket}/{PREFIX}"
        self.ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto, **_creds())
        self.s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto, **_creds())
        self.s3.create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        self.boxes = {self._launch(box): box for box in boxes}
        self.observations: list[Observation] = []
        self.runs: list[Run] = []
        self.seen: list[Call] = []
        self.extra_env: dict[str, str] = {}
        self.damaged: set[str] = set()  # objects a scenario broke on purpose: not judged

    # -- the fleet ---------------------------------------------------------------------
    def _launch(self, box: Box) -> str:
        tags = [{"Key": "Name", "Value": box.name}] + [
            {"Key": k, "Value": v} for k, v in box.tags.items()
        ]
        response = self.ec2.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            InstanceType=box.size,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )
        instance_id: str = response["Instances"][0]["InstanceId"]
        # moto stamps LaunchTime with the wall clock; long ago keeps grace periods out.
        from moto.ec2.models import ec2_backends

        instance = ec2_backends[ACCOUNT][REGION].get_instance(instance_id)
        instance.launch_time = datetime(2026, 11, 1)
        return instance_id

    def states(self) -> dict[str, str]:
        states: dict[str, str] = {}
        for page in self.ec2.get_paginator("describe_instances").paginate():
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    states[instance["InstanceId"]] = instance["State"]["Name"]
        return states

    def managed(self) -> list[str]:
        """Instances offhours schedules: tagged, not protected, no poisoned price."""
        return [
            i for i, box in self.boxes.items() if not is_prod(box) and _sane_price(box) is not False
        ]

    def price(self, instance_id: str) -> float:
        box = self.boxes[instance_id]
        if "hourly-cost" in box.tags:
            return float(box.tags["hourly-cost"])
        return float(_table()[box.size])

    # -- running offhours --------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            # The console script runs this tree's code, whichever checkout it was installed from.
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            **FAKE_ENV,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            # Anything without its own endpoint setting goes through the proxy too.
            "AWS_ENDPOINT_URL": self.proxy.url,
            "OFFHOURS_AWS_ENDPOINT_URL": self.proxy.url,
            "OFFHOURS_STORE_ENDPOINT_URL": self.proxy.url,
            # The store's client takes boto3's defaults; two attempts keep a store outage
            # to seconds instead of a minute of back-off per call.
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": "2",
            "OFFHOURS_BATCH_SIZE": str(BATCH),
            # The fleet is EC2 only: discovering the other kinds would only cost time.
            "OFFHOURS_KINDS": "ec2",
            **self.extra_env,
        }

    def command(self, when: datetime, *args: str) -> list[str]:
        return [
            *OFFHOURS,
            "run",
            "--provider",
            "aws",
            "--region",
            REGION,
            "--ledger",
            self.ledger,
            "--at",
            when.isoformat(),
            *args,
        ]

    def run(self, when: datetime, *rules: Rule, skewed: bool = False) -> Run:
        """One ``offhours run --at when`` with ``rules`` armed in the proxy, then observe.
        ``skewed``: ``when`` is not the time it runs at (see Observation)."""
        (done,) = self.run_together([when], *rules, skewed=skewed)
        return done

    def run_together(self, whens: list[datetime], *rules: Rule, skewed: bool = False) -> list[Run]:
        """Start one run per instant at once (duplicate deliveries, a manual run beside
        the scheduled one); wait for all, then observe."""
        self.proxy.reset(*rules)
        physical = self.physical()
        _NOW[:] = [physical[-1] if skewed and physical else min(whens)]
        procs = [
            subprocess.Popen(
                self.command(w),
                env=self.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for w in whens
        ]
        self.proxy.pid = procs[0].pid  # kill rules end the first run
        if any(rule.action == "hold" for rule in rules):
            _open_gate_after_one_finished(self.proxy, procs)
        done = []
        for when, proc in zip(whens, procs, strict=True):
            out, err = proc.communicate(timeout=180)
            done.append(Run(when, proc.returncode, out, err, self.proxy.calls))
        self.proxy.pid = None
        self.seen.extend(self.proxy.calls)
        self.proxy.reset()
        self.runs.extend(done)
        self.observations.append(Observation(min(whens), self.states(), skewed))
        return done

    def physical(self) -> list[datetime]:
        """When each observed run really happened: its --at, unless it was skewed."""
        times: list[datetime] = []
        for o in self.observations:
            times.append(times[-1] if o.skewed and times else o.at)
        return times

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Any other ``offhours`` command against this world's ledger (no faults)."""
        return subprocess.run(
            [*OFFHOURS, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # -- the truth and the ledger ------------------------------------------------------
    def truth(self, skew: bool = True) -> dict[str, float]:
        """Expected savings per instance: price x hours seen off between observations,
        on the physical clock (``skew=False`` leaves out what followed a skewed run)."""
        hours: dict[str, float] = dict.fromkeys(self.boxes, 0.0)
        times = self.physical()
        for n, this in enumerate(self.observations[:-1]):
            if this.skewed and not skew:
                continue
            span = max(0.0, (times[n + 1] - times[n]).total_seconds() / 3600)
            for instance_id, state in this.states.items():
                if state == "stopped" and instance_id in hours:
                    hours[instance_id] += span
        return {i: h * self.price(i) for i, h in hours.items() if i in self.managed()}

    def objects(self) -> dict[str, bytes]:
        """Every ledger object, read from S3 directly."""
        found: dict[str, bytes] = {}
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{PREFIX}/ledger/"
        )
        for page in pages:
            for item in page.get("Contents", []):
                body = self.s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                found[item["Key"]] = body
        return found

    def rows(self) -> list[tuple[str, dict[str, Any]]]:
        """(object key, row) for every ledger row; strict JSON or the test fails."""
        rows = []
        for key, data in self.objects().items():
            if key in self.damaged:
                continue
            for line in gzip.decompress(data).splitlines():
                if line.strip():
                    rows.append((key, json.loads(line, parse_constant=reject)))
        return rows

    def booked(self) -> dict[str, float]:
        """Savings the ledger claims per resource, as its readers count them: of the rows
        about one off-period (its still-off checkpoints and its booking, one
        ``x_PeriodId``), the booking, else the checkpoint with the latest end."""

        def rank(row: dict[str, Any]) -> tuple[bool, str]:
            return (row["x_Action"] != "still-off", row["ChargePeriodEnd"])

        latest: dict[str, dict[str, Any]] = {}
        for n, (_, row) in enumerate(self.rows()):
            if row["ChargePeriodEnd"] > row["ChargePeriodStart"]:
                period = row.get("x_PeriodId") or str(n)
                kept = latest.get(period)
                if kept is None or rank(row) > rank(kept):
                    latest[period] = row
        booked: dict[str, float] = {}
        for row in latest.values():
            saved = row.get("x_EstimatedSavings") or 0.0
            booked[row["ResourceId"]] = booked.get(row["ResourceId"], 0.0) + saved
        return booked

    def state_keys(self) -> list[str]:
        response = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"{PREFIX}/state/")
        return [item["Key"] for item in response.get("Contents", [])]

    def state_key(self) -> str:
        return f"{PREFIX}/state/v1/provider=aws/account={ACCOUNT}/region={REGION}/run-state.json"

    def put_raw(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)


# -- invariants ------------------------------------------------------------------------
def wrong_state(world: World, when: datetime, hand_stopped: Iterable[str] = ()) -> list[str]:
    """Instances not in the state the schedule wants at ``when`` (after a clean run)."""
    states = world.observations[-1].states
    wanted_on = office_hours(when)
    wrong = []
    for instance_id, box in world.boxes.items():
        state = states.get(instance_id)
        if is_prod(box):
            wrong += [f"{box.name} (prod) is {state}"] if state != "running" else []
        elif instance_id in world.managed() and instance_id not in hand_stopped:
            expected = "running" if wanted_on else "stopped"
            wrong += [f"{box.name} is {state} at {when:%a %H:%M}"] if state != expected else []
    return wrong


def doubled_rows(world: World) -> list[str]:
    """Rows that say the same thing twice: the same resource, action and period in two
    objects (or twice in one), or more stops done than times the resource was seen to
    go off (two runs a second apart each booking the one stop)."""
    went_off = dict.fromkeys(world.boxes, 0)
    before: dict[str, str] = {}
    for observation in world.observations:
        for instance_id, state in observation.states.items():
            off = state == "stopped" and before.get(instance_id, "running") != "stopped"
            went_off[instance_id] = went_off.get(instance_id, 0) + off
        before = observation.states
    stops: dict[str, int] = {}
    seen: dict[tuple[str, str, str, str], str] = {}
    doubled = []
    for key, row in world.rows():
        if row["x_Action"] in ("stop", "scale-down") and row["x_Outcome"] == "done":
            stops[row["ResourceId"]] = stops.get(row["ResourceId"], 0) + 1
        identity = (
            row["ResourceId"],
            row["x_Action"],
            row["ChargePeriodStart"],
            row["ChargePeriodEnd"],
        )
        if identity in seen:
            doubled.append(f"{identity} in {seen[identity]} and {key}")
        seen[identity] = key
    for instance_id, count in sorted(stops.items()):
        times = went_off.get(instance_id, 0)
        if count > times:
            name = world.boxes[instance_id].name if instance_id in world.boxes else instance_id
            doubled.append(f"{name}: {count} stops done, seen going off {times} times")
    return doubled


def lost_periods(world: World) -> list[str]:
    """Resources whose observed off-periods (seen stopped, then seen running again) do
    not each have one ledger row that closes them: a booking lost (or split)."""
    periods = dict.fromkeys(world.managed(), 0)
    for before, after in zip(world.observations, world.observations[1:], strict=False):
        for instance_id in periods:
            back = after.states.get(instance_id) == "running"
            periods[instance_id] += before.states.get(instance_id) == "stopped" and back
    closing: dict[str, int] = {}
    for _, row in world.rows():
        # A still-off checkpoint says a period is open; only its booking closes it.
        closes = row["x_Action"] != "still-off"
        if closes and row["ChargePeriodEnd"] > row["ChargePeriodStart"]:
            closing[row["ResourceId"]] = closing.get(row["ResourceId"], 0) + 1
    return [
        f"{world.boxes[i].name}: {closing.get(i, 0)} closing rows for {n} off-periods seen"
        for i, n in sorted(periods.items())
        if closing.get(i, 0) != n
    ]


def savings_gaps(world: World, low: dict[str, float] | None = None) -> list[str]:
    """Resources whose booked savings differ from the truth by more than a cent. With
    ``low``, anything in [low, truth] is right (a window the product cannot know)."""
    booked = world.booked()
    high = world.truth()
    gaps = []
    for instance_id, expected in sorted(high.items()):
        got = booked.get(instance_id, 0.0)
        floor = (low or high)[instance_id]
        if not (floor - 0.01 <= got <= expected + 0.01):
            name = world.boxes[instance_id].name
            want = f"{expected:.4f}" if low is None else f"{floor:.4f}..{expected:.4f}"
            gaps.append(f"{name}: booked {got:.4f}, saw {want}")
    return gaps


def malformed_rows(world: World) -> list[str]:
    bad = []
    for key, row in world.rows():
        if row["ChargePeriodEnd"] < row["ChargePeriodStart"]:
            bad.append(f"{key}: {row['ResourceId']} ends before it starts")
        for name, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                bad.append(f"{key}: {name}={value}")
    return bad


_VERIFY: list[bool] = []


def has_verify(world: World) -> bool:
    """Whether this offhours has ``ledger verify`` (asked once per session)."""
    if not _VERIFY:
        _VERIFY.append("verify" in world.cli("ledger", "--help").stdout)
    return _VERIFY[0]


def verify(world: World) -> str | None:
    """``offhours ledger verify``: None when it passed, why not otherwise, ``"SKIP"``
    when the command does not exist yet."""
    if not has_verify(world):
        return "SKIP"
    done = world.cli("ledger", "verify", "--ledger", world.ledger)
    if done.returncode != 0:
        return f"ledger verify exited {done.returncode}: {done.stdout}{done.stderr}"
    return None


@dataclass
class Verdict:
    """Each invariant's failures; empty lists mean it holds."""

    wrong_state: list[str]
    doubled: list[str]
    lost: list[str]
    savings: list[str]
    malformed: list[str]
    verify: str | None

    def failures(self) -> dict[str, object]:
        found: dict[str, object] = {
            "a wrong state": self.wrong_state,
            "b doubled rows": self.doubled,
            "b lost periods": self.lost,
            "c savings != truth": self.savings,
            "d malformed rows": self.malformed,
            "e ledger verify": self.verify if self.verify != "SKIP" else None,
        }
        return {k: v for k, v in found.items() if v}


def judge(
    world: World, when: datetime, low: dict[str, float] | None = None, verify_ledger: bool = True
) -> Verdict:
    """All five invariants after the scenario's closing clean runs (last one at ``when``)."""
    try:
        doubled, lost = doubled_rows(world), lost_periods(world)
        savings, malformed = savings_gaps(world, low), malformed_rows(world)
    except ValueError as err:  # not strict JSON: every check that reads the ledger fails
        doubled = lost = savings = malformed = [f"ledger is not strict JSON: {err}"]
    verified = verify(world) if verify_ledger else "SKIP"
    return Verdict(wrong_state(world, when), doubled, lost, savings, malformed, verified)


def assert_invariants(verdict: Verdict, scenario: Mapping[str, object] | None = None) -> None:
    """Fail with every broken invariant and scenario check at once (not the first only).
    With ``OFFHOURS_FAULTS_REPORT=file``, also append them there as one JSON line."""
    failures = {**verdict.failures(), **{k: v for k, v in (scenario or {}).items() if v}}
    if verdict.verify == "SKIP":
        print("invariant (e) skipped: `offhours ledger verify` does not exist yet")
    report = os.environ.get("OFFHOURS_FAULTS_REPORT")
    if report:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
        with open(report, "a", encoding="utf-8") as out:
            line = {"test": test, "verify": verdict.verify, "failures": failures}
            out.write(json.dumps(line, default=str) + "\n")
    assert not failures, json.dumps(failures, indent=1, default=str)[:6000]


def expect(condition: bool, why: str) -> str:
    """A scenario check for ``assert_invariants``: "" when it holds, ``why`` otherwise."""
    return "" if condition else why


# -- kills at random points -------------------------------------------------------------
def kill_timeline(first: datetime, last: datetime) -> list[datetime]:
    """Thirty-minute steps around every office-hours transition from ``first``'s evening
    to ``last``'s morning (midnight-aligned days), and one run at noon on weekend days."""
    out = []
    day = first
    while day <= last:
        if day.weekday() >= 5:
            out.append(at(day, "12:00"))
        else:
            windows = [at(day, "07:30")] if day > first else []
            windows += [at(day, "18:30")] if day < last else []
            out += [w + timedelta(minutes=30 * n) for w in windows for n in range(5)]
        day += timedelta(days=1)
    return out


def plan_kill(rng: random.Random, world: World, when: datetime) -> Rule:
    """A kill at a random point of a call this run will make: a batch of stops or starts
    (judged from the last observation: what the schedule wants changed), the ledger
    write, the state write; before or after AWS acts."""
    last = world.observations[-1].states if world.observations else {}
    on = office_hours(when)
    wrong = sum(last.get(i, "running") != ("running" if on else "stopped") for i in world.managed())
    points = [("s3", "PUT", "*/state/*", 1)]
    if wrong:
        operation = "StartInstances" if on else "StopInstances"
        points += [("ec2", operation, "*", -(-wrong // BATCH)), ("s3", "PUT", "*/ledger/*", 1)]
    service, operation, key, calls = rng.choice(points)
    action = rng.choice(("kill-before", "kill-after"))
    return Rule(service, action, operation=operation, key=key, after=rng.randrange(calls))


# -- helpers ---------------------------------------------------------------------------
def reject(constant: str) -> float:
    """``parse_constant`` for strict JSON: NaN and Infinity are not JSON."""
    raise ValueError(f"{constant} is not JSON")


# How a person spells "prod" so that another reads it as prod (written out here, not
# taken from the product): zero-width characters, a Cyrillic о, fullwidth letters.
PROD_SPELLINGS = frozenset({"prod", "pro\u200bd", "pr\u043ed", "\uff50\uff52\uff4f\uff44"})


def is_prod(box: Box) -> bool:
    return box.tags.get("environment") in PROD_SPELLINGS


def _sane_price(box: Box) -> bool | None:
    """None: no tag; False: a tag no price can come from (the product must refuse it):
    only plain ASCII decimals such as ``0.42`` are rates."""
    text = box.tags.get("hourly-cost")
    if text is None:
        return None
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text.strip(), re.ASCII) is None:
        return False
    value = float(text)
    return math.isfinite(value) and 0 <= value < 1000


def _table() -> dict[str, float]:
    prices: dict[str, float] = json.loads(PRICES.read_text())["prices"][REGION]
    return prices


def _creds() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_ENV["AWS_SESSION_TOKEN"],
    }


def _post(url: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30):
        pass


def steps(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    out, now = [], start
    while now <= end:
        out.append(now)
        now += every
    return out


def _open_gate_after_one_finished(
    proxy: FaultProxy, procs: list[subprocess.Popen[str]], timeout: float = 120.0
) -> None:
    """With a "hold" rule, one run waits inside the held call (it holds the lease) while
    the others run to the end; the gate opens once the first of them has finished, or
    after ``timeout`` if none does (then the test fails on what the runs did)."""
    deadline = time.monotonic() + timeout
    if proxy.held.wait(timeout):
        while time.monotonic() < deadline and all(p.poll() is None for p in procs):
            time.sleep(0.05)
    proxy.gate.set()
