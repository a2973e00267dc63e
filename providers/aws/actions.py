"""What AWS adapters give the apply engine: botocore's error types and how to word them.

AWS calls answer synchronously (``stopping``, the new capacity): there is no operation to
wait for, so a handler returns its note and the result is ``done``.
"""

from __future__ import annotations

from providers.apply import Engine
from providers.base import AdapterOptions, Resource, Target


def aws_errors() -> tuple[type[Exception], ...]:
    """The errors an AWS call raises for a refused or failed request (for ``except``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


def error_text(err: BaseException) -> str:
    """``Code: message`` for a botocore ClientError, the exception text otherwise."""
    response = getattr(err, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return f"{type(err).__name__}: {err}"


def engine(kind: str, options: AdapterOptions) -> Engine:
    return Engine(kind, options.clock, aws_errors(), error_text, options.max_workers)


def target_of(resource: Resource) -> Target:
    return Target(resource.provider, resource.account, resource.region)
