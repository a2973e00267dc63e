"""Raw Azure Resource Manager REST on the azure-core pipeline the management SDKs use.

Azure ML computes, AKS clusters and the subscriptions list need three or four calls each;
their SDKs (azure-mgmt-machinelearningservices, azure-mgmt-containerservice,
azure-mgmt-resource) would add tens of MB to the function package for that. This client
sends the same requests through the same pipeline (retries, ARM challenge auth,
``nextLink`` paging, and ``ARMPolling`` for long-running operations).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import (
    HeadersPolicy,
    NetworkTraceLoggingPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.exceptions import ARMErrorFormat
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy
from azure.mgmt.core.polling.arm_polling import ARMPolling

ARM_SCOPE = "https://management.azure.com/.default"
_ACCEPTED = (200, 201, 202, 204)


class ArmRest:
    """GET / list / long-running POST and PUT against ARM (or the local fake)."""

    def __init__(
        self, base_url: str, credential: TokenCredential, polling_interval: float = 30
    ) -> None:
        auth = ARMChallengeAuthenticationPolicy(credential, ARM_SCOPE)
        policies: list[Any] = [
            RequestIdPolicy(),
            HeadersPolicy(),
            UserAgentPolicy(sdk_moniker="offhours"),
            RetryPolicy(),
            auth,
            NetworkTraceLoggingPolicy(),
            ARMHttpLoggingPolicy(),
        ]
        self.base_url = base_url.rstrip("/")
        self.polling_interval = polling_interval
        self._client: ARMPipelineClient[Any, Any] = ARMPipelineClient(
            base_url=self.base_url, policies=policies
        )

    def get(self, path: str, api_version: str) -> dict[str, Any]:
        response = self._send(
            HttpRequest("GET", self._url(path), params={"api-version": api_version})
        )
        body: dict[str, Any] = response.json()
        return body

    def list(self, path: str, api_version: str) -> Iterator[dict[str, Any]]:
        """Every item of a list, following ``nextLink`` (which carries the api-version)."""
        request = HttpRequest("GET", self._url(path), params={"api-version": api_version})
        while True:
            page = self._send(request).json()
            yield from page.get("value", [])
            next_link = page.get("nextLink")
            if not next_link:
                return
            request = HttpRequest("GET", next_link)

    def begin(
        self, method: str, path: str, api_version: str, body: dict[str, Any] | None = None
    ) -> LROPoller[None]:
        """Start a long-running operation; the poller follows ``Azure-AsyncOperation``."""
        request = HttpRequest(
            method, self._url(path), params={"api-version": api_version}, json=body
        )
        initial = self._client.send_request(request, _return_pipeline_response=True)
        if initial.http_response.status_code not in _ACCEPTED:
            _raise(initial.http_response)
        polling = ARMPolling(self.polling_interval)
        return LROPoller(self._client, initial, lambda _response: None, polling)

    def _send(self, request: HttpRequest) -> Any:
        response = self._client.send_request(request)
        if response.status_code != 200:
            _raise(response)
        return response

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"


def _raise(response: Any) -> None:
    response.read()
    if response.status_code == 404:
        raise ResourceNotFoundError(response=response, error_format=ARMErrorFormat)
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)
