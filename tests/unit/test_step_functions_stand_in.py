"""The local stand-in for the fan-out's data flow (``sandbox/step_functions.py``) against
the AWS Step Functions Developer Guide's own examples: "ItemBatcher (Map)" (a batch of
two items is ``{"Items": [item, item]}``; ``BatchInput`` is added to every batch) and
JSONPath payload templates (a ``.$`` key takes the value at its path)."""

from __future__ import annotations

import pytest

from sandbox.step_functions import child_inputs, payload, task_output

# The guide's example items (its "ItemBatcher (Map)" page).
ITEMS = [
    {"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"},
    {"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"},
    {"verdict": "true", "statement_date": "5/18/2016", "statement_source": "news"},
]


def test_a_map_without_a_batcher_gives_each_child_one_item() -> None:
    assert child_inputs({"ItemsPath": "$.items"}, {"items": ITEMS}) == ITEMS


def test_batches_of_two_with_the_batch_input_evaluated_against_the_map_input() -> None:
    state = {
        "ItemsPath": "$.items",
        "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"factCheck": "TRUE"}},
    }
    assert child_inputs(state, {"items": ITEMS}) == [
        {"Items": ITEMS[:2], "BatchInput": {"factCheck": "TRUE"}},
        {"Items": ITEMS[2:], "BatchInput": {"factCheck": "TRUE"}},
    ]
    by_path = {
        "ItemsPath": "$.items",
        "ItemBatcher": {"MaxItemsPerBatchPath": "$.size", "BatchInput": {"at.$": "$.when"}},
    }
    assert child_inputs(by_path, {"items": ITEMS, "size": 3, "when": "T"}) == [
        {"Items": ITEMS, "BatchInput": {"at": "T"}}
    ]


def test_a_batch_size_below_one_is_refused() -> None:
    state = {"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatchPath": "$.size"}}
    with pytest.raises(ValueError, match="positive integer"):
        child_inputs(state, {"items": ITEMS, "size": 0})


def test_payload_templates_paths_and_string_to_json() -> None:
    template = {"a.$": "$.x.y", "b": {"c.$": "$"}, "n.$": "States.StringToJson('50')", "k": 1}
    assert payload(template, {"x": {"y": "v"}}) == {
        "a": "v",
        "b": {"c": {"x": {"y": "v"}}},
        "n": 50,
        "k": 1,
    }


def test_a_task_output_is_its_result_selector_over_the_payload() -> None:
    task = {"ResultSelector": {"targets.$": "$.Payload.targets"}}
    assert task_output(task, {"targets": [1, 2], "other": 3}) == {"targets": [1, 2]}
    assert task_output({"OutputPath": "$.Payload"}, {"actions": {}}) == {"actions": {}}
