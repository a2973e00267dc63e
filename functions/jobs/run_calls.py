"""Each run's billable calls: kept as one small object per run, summed for the digest.

A whole-fleet run (the CLI, one scheduled function invocation) writes
``runs/v1/date=YYYY-MM-DD/<run-id>.json`` in the ledger's store: its meter's counts
(``providers/metering.py``), the platform's own (invocations, memory-time) and the
store's kind, so ``own_cost`` can price them later. The key is the run's, so a retried
run rewrites its own object. One item of a Step Functions fan-out writes nothing (that
would be one object per target per run): its counts are in the answer it returns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from functions.jobs import own_cost
from providers.metering import STORE_LISTS, STORE_READS, STORE_WRITES, Meter
from providers.store import ObjectStore, StoreError

if TYPE_CHECKING:
    from functions.jobs.reconcile import RunReport

log = logging.getLogger("offhours.run_calls")
PREFIX = "runs/v1"
SCHEMA = "offhours.run-calls/v1"


@dataclass(frozen=True)
class Platform:
    """Where the run ran: ``cli`` costs nothing of its own; ``lambda`` bills one request
    and its duration at ``memory_mb``; other functions' compute is counted, not priced."""

    name: str = "cli"
    memory_mb: int = 0


def run_key(run_id: str, at: datetime) -> str:
    return f"{PREFIX}/date={at.astimezone(UTC):%Y-%m-%d}/{run_id}.json"


def store_kind(url: str) -> str:
    """The store's URL scheme (``s3``, ``gs``, ``azblob``), ``file`` for a directory."""
    return urlparse(url).scheme or "file"


def platform_counts(platform: Platform, seconds: float) -> dict[str, int]:
    if platform.name == "cli":
        return {}
    if platform.name == "lambda":
        return {
            "lambda_invocations": 1,
            own_cost.LAMBDA_MB_MS: own_cost.lambda_mb_ms(seconds, platform.memory_mb),
        }
    return {"function_invocations": 1}


def book_run_calls(
    store: ObjectStore,
    meter: Meter,
    run_id: str,
    at: datetime,
    extra: Mapping[str, int],
    save: bool,
) -> dict[str, int]:
    """The run's counts (the meter's, plus ``extra`` added to it); with ``save``, kept in
    the store, this object's own PUT included. Not kept is a warning: the run is done."""
    for name, count in extra.items():
        meter.add(name, count)
    if save:
        meter.add(STORE_WRITES)  # the PUT below
    counts = meter.counts()
    if not save:
        return counts
    record = {
        "schema": SCHEMA,
        "run_id": run_id,
        "at": at.astimezone(UTC).isoformat(),
        "store": store_kind(store.url),
        "calls": counts,
    }
    # Past the meter: this PUT is already in the counts it writes down.
    unmetered: ObjectStore = getattr(store, "inner", store)
    try:
        unmetered.put(run_key(run_id, at), json.dumps(record, sort_keys=True).encode())
    except StoreError as err:
        log.warning("the run's call counts were not kept: %s", err)
    return counts


# ---- a week of runs ----------------------------------------------------------------------


@dataclass
class Week:
    runs: int = 0
    by_store: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: int = 0  # unreadable objects

    @property
    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for counts in self.by_store.values():
            for name, count in counts.items():
                found[name] = found.get(name, 0) + count
        return found

    @property
    def usd(self) -> float:
        return sum(own_cost.cost(c, store) for store, c in self.by_store.items())


def read_week(store: ObjectStore, start: datetime, end: datetime) -> Week:
    """Sum the runs whose instant falls in [start, end)."""
    week = Week()
    for key in _keys(store, start, end):
        try:
            record = json.loads(store.get(key) or b"null")
            at = datetime.fromisoformat(record["at"])
            calls = {str(k): int(v) for k, v in record["calls"].items()}
            kind = str(record["store"])
        except (ValueError, TypeError, KeyError, AttributeError):
            week.skipped += 1
            continue
        if start <= at < end:
            week.runs += 1
            mine = week.by_store.setdefault(kind, {})
            for name, count in calls.items():
                mine[name] = mine.get(name, 0) + count
    return week


def _keys(store: ObjectStore, start: datetime, end: datetime) -> Iterator[str]:
    day = start.astimezone(UTC).date()
    while day <= end.astimezone(UTC).date():
        yield from store.list(f"{PREFIX}/date={day:%Y-%m-%d}/")
        day += timedelta(days=1)


# ---- sentences ---------------------------------------------------------------------------

_NAMES = (
    (STORE_WRITES, "store writes"),
    (STORE_READS, "store reads"),
    (STORE_LISTS, "store lists"),
    ("cloudwatch_metrics_requested", "CloudWatch metrics read"),
    ("monitoring_series_returned", "Monitoring series read"),
    ("azure_metrics_resources", "Azure metric queries"),
    ("ses_messages", "emails"),
    ("lambda_invocations", "Lambda invocations"),
    ("sfn_transitions", "state transitions"),
)


def describe(counts: Mapping[str, int]) -> str:
    """``412,000 store writes, 9,800 store reads`` (only what is there)."""
    return ", ".join(f"{counts[k]:,} {name}" for k, name in _NAMES if counts.get(k))


def money(usd: float) -> str:
    return f"${usd:,.2f}" if usd >= 0.01 or usd == 0 else f"${usd:.4f}"


def run_line(counts: Mapping[str, int], store_url: str) -> str:
    """The run report's line on what this run was billed for."""
    usd = own_cost.cost(counts, store_kind(store_url))
    return f"billable calls: {describe(counts) or 'none'} ({money(usd)} at list price)"


def own_cost_line(store: ObjectStore, start: datetime, end: datetime) -> str:
    """The digest's line on offhours' own cost over the window; "" when no run kept
    its counts there (or they cannot be read: the digest goes out all the same)."""
    try:
        week = read_week(store, start, end)
    except StoreError as err:
        log.warning("the runs' call counts could not be read: %s", err)
        return ""
    if not week.runs:
        return ""
    what = describe(week.counts)
    what = f"{what}, {week.runs:,} runs" if what else f"{week.runs:,} runs"
    return (
        f"offhours' own cost this week: {money(week.usd)} ({what}; list prices of "
        f"{own_cost.PRICED_AT}, {own_cost.REGIONS})."
    )


def mail_counts(report: RunReport, transport: str) -> dict[str, int]:
    """SES bills each email per recipient; a run mails each recipient once per target
    (``notices.planning.group``). SMTP and webhooks are not billed to offhours."""
    if transport != "ses":
        return {}
    from functions.jobs.notices.model import ChannelKind, Status

    messages = 0
    for target in report.targets:
        messages += len(
            {
                str(r)
                for o in target.notices
                if o.status is Status.SENT
                for r in o.notice.recipients
                if r.kind is ChannelKind.EMAIL and str(r) in o.sent_to
            }
        )
    return {"ses_messages": messages} if messages else {}
