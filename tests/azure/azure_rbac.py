"""ARM's rule for the RBAC action a request needs, applied to the fake's request log.

``/subscriptions/S/resourceGroups/G/providers/NS/type1/name1/type2/name2`` is the
resource ``NS/type1/type2``; GET reads it (``/read``), PUT and PATCH write it (``/write``),
DELETE deletes it. A trailing segment after a name is a collection for GET (still
``/read`` of that type) and an action for POST (``NS/type1/<verb>/action``). This mapping
is independent of the adapters' own lists, so the test catches a call nobody declared.
"""

from __future__ import annotations

_VERBS = {"GET": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


def rbac_action(method: str, path: str) -> str:
    if path.lower().endswith("/metrics:getbatch"):
        # The batch metrics API (regional metrics host) reads metrics of the listed resources.
        return "Microsoft.Insights/metrics/read"
    segments = [s for s in path.split("/") if s]
    lowered = [s.lower() for s in segments]
    if "providers" not in lowered:
        # /subscriptions, /subscriptions/S, /subscriptions/S/resourceGroups[/G]
        # (Azure's own action names: ``Microsoft.Resources/subscriptions/resourceGroups/read``)
        kind = "subscriptions/resourceGroups" if "resourcegroups" in lowered else "subscriptions"
        return f"Microsoft.Resources/{kind}/{_VERBS[method]}"
    at = lowered.index("providers")
    namespace, rest = segments[at + 1], segments[at + 2 :]
    if len(rest) % 2 == 1 and method == "POST":
        types, verb = rest[0:-1:2], rest[-1]
        return f"{namespace}/{'/'.join(types)}/{verb}/action"
    types = rest[0::2]
    return f"{namespace}/{'/'.join(types)}/{_VERBS[method]}"
