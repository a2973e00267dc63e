"""EC2 instances with stop protection (``DisableApiStop``): learned from a refusal, remembered.

DescribeInstances does not return the attribute and DescribeInstanceAttribute answers for
one instance per call, so asking every instance on every run would cost one call per
instance. Instead a StopInstances refused with ``OperationNotPermitted`` names the
instance; its id is kept in one object per target in the state store, and each discovery
asks again only for the instances remembered there (one call each), so turning the
protection off lets offhours schedule the instance on the next run.

The objects share one prefix, listed once per run (one LIST, not one GET per target): a
target reads its object only when the listing has it (the first target of a run reads
its own, so a job of one target makes one GET, as before). A listing serves
``LISTING_FRESH`` of the job's clock, so a job reused across runs (the demo) lists again
on its next run. One taken before another run first remembered a target's instance
costs at most one more refused stop, failed and remembered again, as when the object
cannot be read; a failed listing falls back to one GET per target.

Source: EC2 User Guide, "Enable stop protection for your EC2 instances"; EC2 API reference
2016-11-15, StopInstances and DescribeInstanceAttribute (attribute ``disableApiStop``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from providers.aws.actions import aws_errors, error_text
from providers.base import Result, Target
from providers.store import ObjectStore, StoreError

REFUSAL = "OperationNotPermitted"
REASON = (
    "stop protection (DisableApiStop) is on: AWS refuses to stop it; "
    "turn the protection off to let offhours schedule it"
)


PREFIX = "state/v1/stop-protected/provider=aws/"
LISTING_FRESH = timedelta(minutes=5)


def key(target: Target) -> str:
    return f"{PREFIX}account={target.account}/region={target.region}/kind=ec2.json"


def refused_by_protection(result: Result) -> bool:
    return result.error.split(":", 1)[0] == REFUSAL


class StopProtection:
    """The remembered stop-protected instances of each target (no store: nothing kept)."""

    def __init__(self, store: ObjectStore | None, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        # When the first target of this listing's window asked, and the listing.
        self._since: datetime | None = None
        self._listed: set[str] | None = None

    def current(self, ec2: Any, target: Target) -> set[str]:
        """The remembered instances whose protection is still on; forgets the others."""
        listed = self._listing()
        known = set() if listed is not None and key(target) not in listed else self._load(target)
        still = {i for i in known if _protected(ec2, i)}
        if still != known:
            self._save(target, still)
        return still

    def remember(self, target: Target, instance_ids: Iterable[str]) -> None:
        new = set(instance_ids)
        known = self._load(target)
        if new - known:
            self._save(target, known | new)

    def _listing(self) -> set[str] | None:
        """The keys under ``PREFIX``, listed once per ``LISTING_FRESH`` when a second
        target asks (a job of one target, a fan-out item, reads its one object: a GET
        costs a tenth of a LIST); None: the target reads its own."""
        if self.store is None:
            return set()
        now = self.clock()
        with self._lock:
            since = self._since
            if since is None or not since <= now < since + LISTING_FRESH:
                self._since, self._listed = now, None
                return None
            if self._listed is None:
                try:
                    self._listed = set(self.store.list(PREFIX))
                except StoreError:
                    return None
            return self._listed

    def _load(self, target: Target) -> set[str]:
        if self.store is None:
            return set()
        try:
            raw = self.store.get(key(target))
        except StoreError:  # unknown this run: the next refusal is failed again, no harm
            return set()
        return set(json.loads(raw)["instances"]) if raw else set()

    def _save(self, target: Target, instance_ids: set[str]) -> None:
        """Write the target's object; none left is no object (nothing listed, nothing read)."""
        if self.store is None:
            return
        payload = json.dumps({"instances": sorted(instance_ids)}).encode()
        try:
            if instance_ids:
                self.store.put(key(target), payload)
            else:
                self.store.delete(key(target))
        except StoreError:  # not remembered: the next stop is refused and noted again
            return
        with self._lock:  # this process's listing follows its own writes
            if self._listed is not None and instance_ids:
                self._listed.add(key(target))
            elif self._listed is not None:
                self._listed.discard(key(target))


def _protected(ec2: Any, instance_id: str) -> bool:
    """Whether the attribute is still set; a vanished instance is not protected, and one
    that cannot be asked now stays remembered."""
    try:
        answer = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiStop")
    except aws_errors() as err:
        return not error_text(err).startswith("InvalidInstanceID")
    return bool(answer.get("DisableApiStop", {}).get("Value"))
