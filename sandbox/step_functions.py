"""A local stand-in for the fan-out state machine's data flow
(``infra/aws/state-machine.asl.json``): what each Lambda invocation of an execution
receives, so tests and ``bench/bench_fanout.py`` drive the handler with the payloads
Step Functions would send.

Only what that definition uses, from the AWS Step Functions Developer Guide: JSONPath
payload templates (a key ending in ``.$`` takes the value at ``$`` or ``$.a.b`` of the
state's input; "Payload template", "Intrinsic functions" for ``States.StringToJson``),
and the distributed Map's ``ItemBatcher`` ("ItemBatcher (Map)"): the items cut into
batches of at most ``MaxItemsPerBatch`` (or the number at ``MaxItemsPerBatchPath`` in the
Map's input), each child execution's input being ``{"Items": [...], "BatchInput": {...}}``
with ``BatchInput`` evaluated against the Map's input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_STRING_TO_JSON = re.compile(r"^States\.StringToJson\('(.*)'\)$")


def substitute(definition_text: str, values: Mapping[str, str]) -> dict[str, Any]:
    """The definition as deployed: SAM's DefinitionSubstitutions (Terraform's templatefile
    does the same) put each ``${Name}`` in place."""
    text = re.sub(r"\$\{(\w+)\}", lambda m: str(values[m.group(1)]), definition_text)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def path_value(path: str, data: Any) -> Any:
    """The value at a reference path: ``$`` or ``$.a.b`` (no filters, no wildcards)."""
    if path == "$":
        return data
    if not path.startswith("$."):
        raise ValueError(f"not a reference path: {path!r}")
    value = data
    for name in path[2:].split("."):
        value = value[name]
    return value


def payload(template: Any, data: Any) -> Any:
    """A payload template evaluated against ``data``: ``.$`` keys take a path's value or
    ``States.StringToJson``'s; nested objects are templates too; anything else is kept."""
    if not isinstance(template, Mapping):
        return template
    out: dict[str, Any] = {}
    for key, value in template.items():
        if not key.endswith(".$"):
            out[key] = payload(value, data)
            continue
        found = _STRING_TO_JSON.match(value)
        out[key[:-2]] = json.loads(found.group(1)) if found else path_value(value, data)
    return out


def child_inputs(map_state: Mapping[str, Any], map_input: Any) -> list[Any]:
    """The input of each child execution a Map state starts: one item each, or one batch
    each with an ``ItemBatcher``."""
    items = list(path_value(map_state.get("ItemsPath", "$"), map_input))
    batcher = map_state.get("ItemBatcher")
    if not batcher:
        return items
    size = batcher.get("MaxItemsPerBatch") or path_value(batcher["MaxItemsPerBatchPath"], map_input)
    if int(size) < 1:
        raise ValueError(f"MaxItemsPerBatch must be a positive integer, not {size!r}")
    extra = {}
    if "BatchInput" in batcher:
        extra["BatchInput"] = payload(batcher["BatchInput"], map_input)
    step = int(size)
    return [{"Items": items[i : i + step], **extra} for i in range(0, len(items), step)]


def task_payload(task: Mapping[str, Any], state_input: Any) -> Any:
    """What a ``lambda:invoke`` Task sends the function: its ``Parameters.Payload``."""
    return payload(task["Parameters"], state_input)["Payload"]


def task_output(task: Mapping[str, Any], function_output: Any) -> Any:
    """A ``lambda:invoke`` Task's output: its ``ResultSelector`` over ``{"Payload": ...}``,
    then its ``OutputPath``."""
    result = {"Payload": function_output}
    if "ResultSelector" in task:
        result = payload(task["ResultSelector"], result)
    return path_value(task.get("OutputPath", "$"), result)


class FanOut:
    """The shipped shape: a listing Task, then a distributed Map whose item processor
    starts with a ``lambda:invoke`` Task."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        states = definition["States"]
        self.listing = states[definition["StartAt"]]
        self.map = states[self.listing["Next"]]
        processor = self.map["ItemProcessor"]
        self.child_task = processor["States"][processor["StartAt"]]

    def listing_event(self, execution_input: Any) -> Any:
        return task_payload(self.listing, execution_input)

    def child_events(self, listing_output: Any) -> list[Any]:
        """Each child's Lambda event, from what the listing invocation answered."""
        map_input = task_output(self.listing, listing_output)
        return [task_payload(self.child_task, c) for c in child_inputs(self.map, map_input)]
