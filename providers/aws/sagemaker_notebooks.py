"""SageMaker notebook instances: stop and start by schedule tag.

The notebook listing cannot filter by tag, so the Resource Groups Tagging API names the
tagged notebooks and one paginated ``list_notebook_instances`` supplies their status and
instance type (no describe per notebook). A notebook in service reports its last
modification as ``started_at``: a notebook cannot be changed while it runs, so that is
when it last came up, and the planner gives a notebook started by hand its grace period.
A notebook tagged ``idle-stop`` (with or without a schedule) is also judged by the idle
rule (``providers/aws/notebook_utilisation.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from providers.apply import AlreadyOff, Applier
from providers.aws import notebook_utilisation
from providers.aws.actions import engine, target_of
from providers.aws.connection import AwsConnection
from providers.aws.instance_types import is_accelerated
from providers.base import (
    Action,
    AdapterOptions,
    Decision,
    Resource,
    ResourceState,
    Result,
    Target,
)
from providers.prices import bundled_price, price_from_tag

SERVICE = "Amazon SageMaker"
PRICES = "sagemaker_notebook_prices.json"
_TYPE = "sagemaker:notebook-instance"
_STATES = {"InService": ResourceState.RUNNING, "Stopped": ResourceState.STOPPED}


class SageMakerNotebooks(Applier[AwsConnection]):
    kind = "sagemaker-notebooks"
    permissions = (
        "tag:GetResources",
        "sagemaker:ListNotebookInstances",
        "sagemaker:StopNotebookInstance",
        "sagemaker:StartNotebookInstance",
        *notebook_utilisation.PERMISSIONS,
    )

    def __init__(self, connection: AwsConnection, options: AdapterOptions) -> None:
        super().__init__(connection, options)
        connection.tag_listings.want(_TYPE, [options.tag_key, options.idle_tag_key])

    def discover(self, target: Target) -> Iterator[Resource]:
        listed = self.connection.tagged(target, _TYPE)
        if listed:
            found = list(self._notebooks(target, listed, every=False))
            yield from notebook_utilisation.mark_idle(self.connection, self.options, target, found)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every notebook, scheduled or not (the digest's opportunities); tags are known
        for those the tag listing names."""
        yield from self._notebooks(target, self.connection.tagged(target, _TYPE), every=True)

    def _notebooks(
        self, target: Target, listed: dict[str, dict[str, str]], every: bool
    ) -> Iterator[Resource]:
        # SageMaker ARNs spell names in lowercase; compare them that way.
        tagged = {arn.lower(): tags for arn, tags in listed.items()}
        sagemaker = self.connection.client("sagemaker", target)
        pages = sagemaker.get_paginator("list_notebook_instances").paginate(
            PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            for notebook in page["NotebookInstances"]:
                tags = tagged.get(notebook["NotebookInstanceArn"].lower())
                if tags is not None or every:
                    yield self._resource(target, notebook, tags or {})

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.STOP: self._stop, Action.START: self._start}
        return engine(self.kind, self.options).run(decisions, handlers)

    def _stop(self, decision: Decision) -> str:
        name = decision.resource.id
        sagemaker = self.connection.client("sagemaker", target_of(decision.resource))
        # Read as it is now: someone may have stopped it since discovery.
        status = _status(sagemaker, name)
        if status in ("Stopped", "Stopping"):
            raise AlreadyOff(f"the notebook is {status.lower()}")
        sagemaker.stop_notebook_instance(NotebookInstanceName=name)
        return ""

    def _start(self, decision: Decision) -> str:
        sagemaker = self.connection.client("sagemaker", target_of(decision.resource))
        sagemaker.start_notebook_instance(NotebookInstanceName=decision.resource.id)
        return ""

    def _resource(self, target: Target, notebook: dict[str, Any], tags: dict[str, str]) -> Resource:
        status = notebook["NotebookInstanceStatus"]
        size = notebook["InstanceType"]
        state = _STATES.get(status, ResourceState.TRANSITIONAL)
        return Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=notebook["NotebookInstanceName"],
            name=notebook["NotebookInstanceName"],
            tags=tags,
            state=state,
            size=size,
            price=price_from_tag(tags)
            or bundled_price("providers.aws", PRICES, target.region, size),
            started_at=notebook.get("LastModifiedTime") if state is ResourceState.RUNNING else None,
            unmanaged_reason="notebook failed: fix or delete it" if status == "Failed" else "",
            service=SERVICE,
            accelerator=is_accelerated(size),
        )


def _status(sagemaker: Any, name: str) -> str:
    pages = sagemaker.get_paginator("list_notebook_instances").paginate(NameContains=name)
    for page in pages:
        for notebook in page["NotebookInstances"]:
            if notebook["NotebookInstanceName"] == name:
                return str(notebook["NotebookInstanceStatus"])
    return ""
