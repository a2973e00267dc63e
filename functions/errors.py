"""One line for an error the command line did not expect, and the exit code it gets.

The cause is named by its type, never imported here: this module must load on an install
that lacks the SDK that raised it.
"""

from __future__ import annotations

# Which extra brings a missing top-level module (``pip install 'offhours[EXTRA]'``).
EXTRAS = {
    "boto3": "aws",
    "botocore": "aws",
    "aws_lambda_powertools": "aws",
    "google": "gcp",
    "requests": "gcp",
    "azure": "azure",
    "jinja2": "digest",
    "matplotlib": "digest",
    "rich": "cli",
}

_HINTS = {
    "NoCredentialsError": "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, "
    "or run in a role",
    "NoRegionError": "no AWS region: pass --region (or set AWS_DEFAULT_REGION)",
    "DefaultCredentialsError": "no Google credentials found: run "
    "`gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS",
    "RefreshError": "Google credentials were refused",
    "ClientAuthenticationError": "Azure refused the credentials",
    "CredentialUnavailableError": "no Azure credentials found: run `az login` or set "
    "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET",
    "EndpointConnectionError": "cannot reach the cloud endpoint",
}
# Problems with the caller's environment (exit 2), not with the run (exit 1).
_USAGE = {
    "NoCredentialsError",
    "NoRegionError",
    "DefaultCredentialsError",
    "CredentialUnavailableError",
    "ModuleNotFoundError",
    "ScheduleError",
}


def describe(err: BaseException) -> tuple[str, int]:
    name = type(err).__name__
    if isinstance(err, ModuleNotFoundError):
        return missing_module(err), 2
    if isinstance(err, OSError) and err.filename and err.strerror:
        return f"cannot write or read {err.filename}: {err.strerror}", 2
    text = " ".join(str(err).split())
    hint = _HINTS.get(name)
    message = f"{hint}: {text}" if hint and text else hint or f"{name}: {text or 'failed'}"
    if name == "ScheduleError":
        message = f"schedule catalog: {text}"
    if name == "LedgerReadError":  # a damaged ledger object, named in the message
        return text, 1
    return f"{message} (rerun with --verbose for details)", 2 if name in _USAGE else 1


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
