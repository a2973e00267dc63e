"""A local fake of Azure Resource Manager for tests and ``offhours demo``.

``start_azure_fake()`` serves the REST shapes of Compute (VMs, scale sets), Azure ML
computes, AKS managed clusters, the subscriptions and resource groups lists (with the
groups' tags) on 127.0.0.1; see ``server``.
"""

from sandbox.azure_fake.model import API_VERSIONS, FakeAgentPool
from sandbox.azure_fake.server import AzureFake, start_azure_fake

__all__ = ["API_VERSIONS", "AzureFake", "FakeAgentPool", "start_azure_fake"]
