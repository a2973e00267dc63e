"""Microsoft.Insights: Azure Monitor autoscale settings (api-version 2022-10-01).

- ``GET /subscriptions/{s}/providers/Microsoft.Insights/autoscalesettings``
  (Autoscale Settings - List By Subscription), paged with ``nextLink``.

The settings act on scale sets inside ``routes_compute``: a capacity below an enabled
setting's minimum is raised back to it once the update completes (``enforce_minimum``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.azure_fake.wire import SUB, Request, Response, page, route

if TYPE_CHECKING:
    from sandbox.azure_fake.model import FakeScaleSet
    from sandbox.azure_fake.server import AzureFake


def list_settings(fake: AzureFake, req: Request) -> Response:
    sub = req.params["sub"].lower()
    items = [
        s.render()
        for _, s in sorted(fake.autoscale_settings.items())
        if s.subscription.lower() == sub
    ]
    return page(req, items, fake.page_size)


def enforce_minimum(fake: AzureFake, vmss: FakeScaleSet) -> None:
    """Autoscale keeps the instance count at or above the minimum: a scale set taken below
    it comes back up (Microsoft Learn, "Best practices for Autoscale": the instance count
    stays within minimum..maximum)."""
    for setting in fake.autoscale_settings.values():
        targets_it = setting.enabled and setting.target_id.lower() == vmss.id.lower()
        if targets_it and vmss.capacity < setting.minimum:
            vmss.capacity = setting.minimum
            fake.events.append(("autoscale", vmss.id, setting.minimum))


ROUTES = [
    route("GET", SUB + r"/providers/Microsoft\.Insights/autoscalesettings", list_settings),
]
