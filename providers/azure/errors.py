"""The Azure SDK's errors that are about the caller's setup, for the command line's one line.

Imported only when the command line reports an error; an install without the Azure SDK has
none.
"""

from __future__ import annotations

from providers import CallerError


def caller_errors() -> dict[type[BaseException], CallerError]:
    try:
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import CredentialUnavailableError
    except ModuleNotFoundError:  # no Azure extra: no Azure error to recognise
        return {}
    # CredentialUnavailableError is a ClientAuthenticationError: the more specific first.
    return {
        CredentialUnavailableError: CallerError(
            "no Azure credentials found: run `az login` or set "
            "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET",
            usage=True,
        ),
        ClientAuthenticationError: CallerError("Azure refused the credentials", usage=False),
    }
