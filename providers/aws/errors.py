"""The AWS SDK's errors that are about the caller's setup, for the command line's one line.

Imported only when the command line reports an error; an install without boto3 has none.
"""

from __future__ import annotations

from providers import CallerError


def caller_errors() -> dict[type[BaseException], CallerError]:
    try:
        from botocore import exceptions
    except ModuleNotFoundError:  # no AWS extra: no AWS error to recognise
        return {}
    return {
        exceptions.NoCredentialsError: CallerError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run in a role",
            usage=True,
        ),
        exceptions.NoRegionError: CallerError(
            "no AWS region: pass --region (or set AWS_DEFAULT_REGION)", usage=True
        ),
        exceptions.EndpointConnectionError: CallerError(
            "cannot reach the cloud endpoint", usage=False
        ),
    }
