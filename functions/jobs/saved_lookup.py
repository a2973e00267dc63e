"""Which kinds a target's discovery lists saved objects for (``Target.saved_kinds``).

A kind that scales a resource away entirely (SageMaker endpoints deleted to zero) finds
it again only as its saved spec in the restore store (``providers/restore.py``), one LIST
per target. Listing on every run would cost one LIST per target per run, the price of a
PUT on S3. The target's state, read by every run anyway, says when something can have
been saved:

* a spec is saved only by an off action, and a run records its intent in the state
  (compare-and-swap) before any mutating call, so from before the save until the intent
  is resolved the state holds an intent for that resource;
* an intent is resolved into an open off-period (the stop was done, confirmed or adopted)
  or dropped because the resource was found unchanged (it is live: a spec left beside it
  is harmless and no discovery needs it);
* the off-period stays open until the resource is seen back (recreated: then the spec is
  forgotten) or no longer seen at all, which a run decides only after listing.

So while a resource of a kind exists only as its saved spec, the state holds an intent or
an open off-period of that kind, and the run lists it. A state rebuilt from the ledger
(``last_run`` unknown) and a target's first run of each UTC day list every kind: the
safety net for a spec no state names (a state object lost with its pending rows).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.run_state import TargetState


def saved_kinds(state: TargetState, now: datetime) -> frozenset[str] | None:
    """The kinds to list saved objects for; None lists every kind."""
    last = state.last_run
    if last is None or last.astimezone(UTC).date() != now.astimezone(UTC).date():
        return None
    return frozenset(_kind(key) for key in (*state.off, *state.intents))


def _kind(resource_key: str) -> str:
    # ``Resource.key``: provider/account/region/kind/id (an id may hold slashes).
    return resource_key.split("/", 4)[3] if resource_key.count("/") >= 4 else ""
