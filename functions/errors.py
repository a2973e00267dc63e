"""One line for an error the command line did not expect, and the exit code it gets.

Each cloud's package says which of its SDK's errors are about the caller's setup
(``providers.caller_errors()``); this module must load on an install that lacks the SDK
that raised it, so it imports none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from providers import CallerError

# Which extra brings a missing top-level module (``pip install 'offhours[EXTRA]'``).
EXTRAS = {
    "boto3": "aws",
    "botocore": "aws",
    "aws_lambda_powertools": "aws",
    "google": "gcp",
    "requests": "gcp",
    "azure": "azure",
    "jinja2": "digest",
    "rich": "cli",
}

# Problems with the caller's environment (exit 2), not with the run (exit 1), besides the
# clouds' own (``providers.caller_errors()``).
_USAGE = {"ModuleNotFoundError", "ScheduleError"}


def describe(err: BaseException) -> tuple[str, int]:
    name = type(err).__name__
    if isinstance(err, ModuleNotFoundError):
        return missing_module(err), 2
    if isinstance(err, OSError) and err.filename and err.strerror:
        return f"cannot write or read {err.filename}: {err.strerror}", 2
    text = " ".join(str(err).split())
    known = _caller_error(err)
    hint = known.hint if known else None
    message = f"{hint}: {text}" if hint and text else hint or f"{name}: {text or 'failed'}"
    if name == "ScheduleError":
        message = f"schedule catalog: {text}"
    if name == "LedgerReadError":  # a damaged ledger object, named in the message
        return text, 1
    usage = name in _USAGE or bool(known and known.usage)
    return f"{message} (rerun with --verbose for details)", 2 if usage else 1


def _caller_error(err: BaseException) -> CallerError | None:
    """What the cloud packages know about this error type (the most specific match)."""
    import providers

    known = providers.caller_errors()
    return next((known[t] for t in type(err).__mro__ if t in known), None)


def missing_module(err: ModuleNotFoundError) -> str:
    module = (err.name or "").split(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return f"missing Python module {err.name!r}"
    return (
        f"this needs the {extra!r} extra (missing module {err.name!r}): "
        f"pip install 'offhours[{extra}]'"
    )


# What each cloud's extra brings, imported before a run so that a missing extra is named
# once, up front, instead of failing every target and kind with the same ImportError.
PROVIDER_MODULES = {
    "aws": ("boto3",),
    "gcp": ("google.auth", "google.cloud.compute_v1"),
    "azure": ("azure.identity", "azure.mgmt.compute"),
}
STORE_MODULES = {
    "s3": ("boto3",),
    "gs": ("google.cloud.storage",),
    "azblob": ("azure.storage.blob",),
}


def require(modules: tuple[str, ...]) -> None:
    """Import ``modules``; a missing one raises ModuleNotFoundError (see ``describe``)."""
    import importlib

    for name in modules:
        importlib.import_module(name)
