"""Batched AWS calls that isolate the bad apple.

One call acts on a whole batch of resources. When AWS rejects the batch (one instance
in a state that does not allow the action, one id that vanished), the batch is split in
half and each half retried, down to single resources: every healthy resource still
changes state, and each bad one gets a failed result carrying the AWS error code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from providers.base import Decision, Outcome, Result, chunks

BatchCall = Callable[[list[str]], Any]


def error_text(err: Exception) -> str:
    """``Code: message`` for a botocore ClientError, the exception text otherwise."""
    response = getattr(err, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return f"{type(err).__name__}: {err}"


def run_bisecting(
    decisions: Sequence[Decision],
    call: BatchCall,
    batch_size: int,
    clock: Callable[[], datetime],
) -> list[Result]:
    results: list[Result] = []
    for batch in chunks(decisions, batch_size):
        results.extend(_bisect(list(batch), call, clock))
    return results


def _bisect(batch: list[Decision], call: BatchCall, clock: Callable[[], datetime]) -> list[Result]:
    from botocore.exceptions import BotoCoreError, ClientError

    if not batch:
        return []
    try:
        call([d.resource.id for d in batch])
    except (ClientError, BotoCoreError) as err:
        if len(batch) == 1:
            return [Result(batch[0], Outcome.FAILED, clock(), error=error_text(err))]
        middle = len(batch) // 2
        return _bisect(batch[:middle], call, clock) + _bisect(batch[middle:], call, clock)
    at = clock()
    return [Result(d, Outcome.DONE, at) for d in batch]
