"""Microsoft.MachineLearningServices: workspaces and computes (api-version 2024-04-01).

- ``GET /subscriptions/{s}/providers/Microsoft.MachineLearningServices/workspaces``
- ``GET .../workspaces/{ws}/computes`` and ``GET .../computes/{name}``
- ``POST .../computes/{name}/start|stop`` -> 202 + ``computeOperationsStatus`` operation
  (compute instances only; other compute types answer 400 as Azure does)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.azure_fake import contract
from sandbox.azure_fake.model import FakeMlCompute
from sandbox.azure_fake.wire import RG, SUB, FakeError, Request, Response, not_found, page, route

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

NS = "Microsoft.MachineLearningServices"
WS = RG + r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)"
COMPUTE = WS + r"/computes/(?P<name>[^/]+)"

_ACTIONS = {"start": ("Starting", "Running"), "stop": ("Stopping", "Stopped")}


def list_workspaces(fake: AzureFake, req: Request) -> Response:
    sub = req.params["sub"].lower()
    items = [
        ws.render() for _, ws in sorted(fake.workspaces.items()) if ws.subscription.lower() == sub
    ]
    return page(req, items, fake.page_size)


def _workspace_id(req: Request) -> str:
    p = req.params
    return f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{NS}/workspaces/{p['ws']}"


def list_computes(fake: AzureFake, req: Request) -> Response:
    ws_id = _workspace_id(req).lower()
    if ws_id not in fake.workspaces:
        raise not_found(f"{NS}/workspaces", req.params["ws"], req.params["rg"])
    # The workspace's own computes: "ws" must not list those of "ws-late".
    prefix = f"{ws_id}/computes/"
    items = [c.render() for key, c in sorted(fake.ml_computes.items()) if key.startswith(prefix)]
    return page(req, items, fake.page_size)


def _compute(fake: AzureFake, req: Request) -> FakeMlCompute:
    compute = fake.ml_computes.get(f"{_workspace_id(req)}/computes/{req.params['name']}".lower())
    if compute is None:
        raise not_found(f"{NS}/workspaces/computes", req.params["name"], req.params["rg"])
    return compute


def get_compute(fake: AzureFake, req: Request) -> Response:
    return Response(200, _compute(fake, req).render())


def compute_action(fake: AzureFake, req: Request) -> Response:
    compute = _compute(fake, req)
    action = req.params["action"].lower()
    contract.check_action_body(req.body, action)
    if compute.compute_type != "ComputeInstance":
        raise FakeError(400, "BadRequest", f"{action} is only supported for compute instances.")
    fault = fake.check_fault(compute.name, action)
    running, final = _ACTIONS[action]
    before = compute.state
    compute.state = running

    def complete() -> None:
        compute.state = final
        compute.last_operation = (action.capitalize(), fake.clock())

    def revert() -> None:
        compute.state = before

    ws = compute.workspace
    op = fake.begin_operation(NS, ws.subscription, ws.location, fault, complete, revert)
    return fake.accepted(req, op)


ROUTES = [
    route(
        "GET", SUB + r"/providers/Microsoft\.MachineLearningServices/workspaces", list_workspaces
    ),
    route("GET", WS + r"/computes", list_computes),
    route("GET", COMPUTE, get_compute),
    route("POST", COMPUTE + r"/(?P<action>start|stop)", compute_action),
]
