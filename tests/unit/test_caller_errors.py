"""The command line recognises the clouds' setup errors by their type, as each provider
package declares them (``providers.ERRORS``), never by the class name."""

from __future__ import annotations

import pytest

import providers
from functions.errors import describe


def test_every_cloud_of_the_registry_declares_its_caller_errors() -> None:
    assert set(providers.ERRORS) == set(providers.clouds())
    for cloud in providers.clouds():
        errors = providers.load(providers.ERRORS[cloud])()
        assert errors, f"{cloud}: no caller errors (is its SDK installed?)"
        assert all(issubclass(t, BaseException) for t in errors)


def test_aws_errors() -> None:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError

    message, code = describe(NoCredentialsError())
    assert message.startswith("no AWS credentials found") and code == 2
    assert describe(NoRegionError())[1] == 2
    message, code = describe(EndpointConnectionError(endpoint_url="https://ec2.invalid"))
    assert message.startswith("cannot reach the cloud endpoint: ") and code == 1


def test_gcp_errors() -> None:
    from google.auth.exceptions import DefaultCredentialsError, RefreshError

    message, code = describe(DefaultCredentialsError("File x was not found."))
    assert message.startswith("no Google credentials found: run `gcloud") and code == 2
    assert "File x was not found." in message
    assert describe(RefreshError("invalid_grant"))[1] == 1


def test_azure_errors_the_more_specific_type_wins() -> None:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import CredentialUnavailableError

    message, code = describe(CredentialUnavailableError("no environment"))
    assert message.startswith("no Azure credentials found: run `az login`") and code == 2
    message, code = describe(ClientAuthenticationError("AADSTS7000215"))
    assert message.startswith("Azure refused the credentials") and code == 1


@pytest.mark.parametrize("name", ["NoCredentialsError", "DefaultCredentialsError"])
def test_a_same_named_class_from_elsewhere_is_not_taken_for_the_sdk_error(name: str) -> None:
    impostor = type(name, (Exception,), {})
    message, code = describe(impostor("nope"))
    assert message.startswith(f"{name}: nope") and code == 1
