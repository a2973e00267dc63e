"""The Google SDK's errors that are about the caller's setup, for the command line's one line.

Imported only when the command line reports an error; an install without google-auth has
none.
"""

from __future__ import annotations

from providers import CallerError


def caller_errors() -> dict[type[BaseException], CallerError]:
    try:
        from google.auth import exceptions
    except ModuleNotFoundError:  # no GCP extra: no Google error to recognise
        return {}
    return {
        exceptions.DefaultCredentialsError: CallerError(
            "no Google credentials found: run `gcloud auth application-default login` "
            "or set GOOGLE_APPLICATION_CREDENTIALS",
            usage=True,
        ),
        exceptions.RefreshError: CallerError("Google credentials were refused", usage=False),
    }
