"""AWS refusals that moto lets pass, enforced the way the published APIs document them.

``documented_limits()`` patches moto's backends (in-process, inside ``mock_aws``) for as
long as it is entered; the tests and ``offhours demo`` share it. Each patch answers with
the error code the API reference documents, so the adapters meet the same ``ClientError``
they would meet on AWS:

- EC2 ``StopInstances`` on an instance whose root device is an instance store:
  ``UnsupportedOperation`` ("You can't stop or hibernate instance store-backed instances",
  EC2 API reference 2016-11-15, StopInstances; EC2 User Guide, "Stop and start Amazon EC2
  instances"). moto reports every root device as ``ebs``: ``make_instance_store`` marks one.
- EC2 ``StopInstances`` on a spot instance of a one-time request: ``UnsupportedOperation``
  (EC2 User Guide, "Stop and start a Spot Instance": only persistent requests can be
  stopped). moto launches spot instances without ``SpotInstanceRequestId``:
  ``request_one_time_spot`` links them.
- EC2 ``StopInstances`` with stop protection on: ``OperationNotPermitted`` (EC2 User Guide,
  "Enable stop protection for your EC2 instances"). moto 5.2.6 refuses it already, with a
  message about termination; the patch gives the stop wording.
- Application Auto Scaling keeps an ECS service's desired count inside its scalable
  target's minimum and maximum: "anytime a scaling policy is invoked or the
  RegisterScalableTarget API is called, Application Auto Scaling retrieves the current
  capacity and compares it to the minimum and maximum capacity ... the capacity is updated
  to comply" (Application Auto Scaling User Guide, "Application Auto Scaling concepts",
  API 2016-02-06). Modelled as a policy invoked right after an out-of-range
  ``UpdateService``, and on every ``RegisterScalableTarget``.
- EKS ``UpdateNodegroupConfig`` is applied asynchronously: its answer's update is
  ``InProgress`` and the node group ``UPDATING`` until EKS is done, and an update of a node
  group that is not ``ACTIVE`` is refused with ``ResourceInUseException`` (EKS API reference
  2017-11-01, UpdateNodegroupConfig and Update). moto finishes at once: entered with
  ``eks_updates_take_time()``, updates wait for its ``finish()``.
- SageMaker ``DeleteEndpoint``: "Application Auto Scaling deregisters those models as
  scalable targets without notifying you" (SageMaker Developer Guide, "Delete endpoints
  configured for auto scaling"). moto keeps them; the patch drops them.
- ECS ``UpdateService`` with a desired count for a ``DAEMON`` service:
  ``InvalidParameterException`` (ECS API reference 2014-11-13, UpdateService
  ``desiredCount``: not valid for the daemon scheduling strategy).
- RDS ``StopDBCluster`` on a member of an Aurora global database or an Aurora Serverless v1
  cluster: ``InvalidDBClusterStateFault`` (Aurora User Guide, "Stopping and starting an
  Amazon Aurora DB cluster", limitations; RDS API 2014-10-31).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from sandbox.aws_fleet import AMI, DEMO_ACCOUNT, DEMO_REGION

ECS_DIMENSION = "ecs:service:DesiredCount"


@contextmanager
def documented_limits() -> Iterator[None]:
    """Enforce the limits above on every moto backend while entered."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.ec2.models.instances import InstanceBackend
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.rds.models import RDSBackend
    from moto.sagemaker.models import SageMakerModelBackend

    with ExitStack() as stack:
        for owner, name, patch in (
            (InstanceBackend, "stop_instances", _stop_instances),
            (EC2ContainerServiceBackend, "update_service", _update_service),
            (ApplicationAutoscalingBackend, "register_scalable_target", _register_target),
            (RDSBackend, "stop_db_cluster", _stop_db_cluster),
            (SageMakerModelBackend, "delete_endpoint", _delete_endpoint),
        ):
            original = getattr(owner, name)
            stack.enter_context(mock.patch.object(owner, name, patch(original)))
        yield


def make_instance_store(
    instance_id: str, region: str = DEMO_REGION, account: str = DEMO_ACCOUNT
) -> None:
    """Give a moto instance an instance-store root device (moto launches every AMI as EBS)."""
    from moto.ec2.models import ec2_backends

    instance = ec2_backends[account][region].get_instance(instance_id)
    instance.root_device_type = "instance-store"


def request_one_time_spot(
    ec2: Any, tags: dict[str, str], region: str = DEMO_REGION, account: str = DEMO_ACCOUNT
) -> str:
    """A spot instance from a one-time request, tagged, carrying its request id (moto
    leaves ``SpotInstanceRequestId`` off the instance); returns the instance id."""
    from moto.ec2.models import ec2_backends

    answer = ec2.request_spot_instances(
        InstanceCount=1,
        Type="one-time",
        LaunchSpecification={"ImageId": AMI, "InstanceType": "t3.medium"},
    )
    request = answer["SpotInstanceRequests"][0]
    instance_id: str = request["InstanceId"]
    # moto renders every attribute it finds on the instance, this one included.
    instance: Any = ec2_backends[account][region].get_instance(instance_id)
    instance.spot_instance_request_id = request["SpotInstanceRequestId"]
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return instance_id


def _stop_instances(original: Any) -> Any:
    from moto.ec2.exceptions import EC2ClientError

    def stop_instances(backend: Any, instance_ids: list[str]) -> Any:
        for instance in backend.get_multi_instances_by_id(instance_ids):
            if instance.root_device_type == "instance-store":
                raise EC2ClientError(
                    "UnsupportedOperation",
                    f"The instance '{instance.id}' does not have an 'ebs' root device type "
                    "and cannot be stopped.",
                )
            request = backend.spot_instance_requests.get(
                getattr(instance, "spot_instance_request_id", None) or ""
            )
            if request is not None and request.type != "persistent":
                raise EC2ClientError(
                    "UnsupportedOperation",
                    f"You can't stop the Spot Instance '{instance.id}' because it is "
                    "associated with a one-time Spot Instance request.",
                )
            if instance.disable_api_stop is True:
                raise EC2ClientError(
                    "OperationNotPermitted",
                    f"The instance '{instance.id}' may not be stopped. Modify its "
                    "'disableApiStop' instance attribute and try again.",
                )
        return original(backend, instance_ids)

    return stop_instances


def _update_service(original: Any) -> Any:
    from moto.ecs.exceptions import InvalidParameterException

    def update_service(backend: Any, properties: dict[str, Any]) -> Any:
        if properties.get("desired_count") is not None:
            name = str(properties["service"]).split("/")[-1]
            current = backend._get_service(properties.get("cluster", "default"), name)
            if current.scheduling_strategy == "DAEMON":
                raise InvalidParameterException(
                    "The daemon scheduling strategy does not support a desired count for services."
                )
        service = original(backend, properties)
        from moto.applicationautoscaling.models import applicationautoscaling_backends

        scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
        resource_id = f"service/{service.cluster_name}/{service.name}"
        target = scaling.targets.get(ECS_DIMENSION, {}).get(resource_id)
        if target is not None:
            _comply(service, target)
        return service

    return update_service


def _register_target(original: Any) -> Any:
    def register_scalable_target(
        backend: Any, namespace: str, r_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        target = original(backend, namespace, r_id, *args, **kwargs)
        if namespace == "ecs" and target.scalable_dimension == ECS_DIMENSION:
            _, cluster, name = r_id.split("/")
            found, _ = backend.ecs_backend.describe_services(cluster, [name])
            if found:
                _comply(found[0], target)
        return target

    return register_scalable_target


def _comply(service: Any, target: Any) -> None:
    """Application Auto Scaling moves a count outside [min, max] to the nearest bound."""
    low, high = int(target.min_capacity), int(target.max_capacity)
    service.desired_count = min(max(int(service.desired_count), low), high)


def _delete_endpoint(original: Any) -> Any:
    def delete_endpoint(backend: Any, endpoint_name: str) -> None:
        original(backend, endpoint_name)
        from moto.applicationautoscaling.models import applicationautoscaling_backends

        scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
        for targets in scaling.targets.values():
            for resource_id in [r for r in targets if r.startswith(f"endpoint/{endpoint_name}/")]:
                del targets[resource_id]

    return delete_endpoint


def _stop_db_cluster(original: Any) -> Any:
    from moto.rds.exceptions import InvalidDBClusterStateFault

    def stop_db_cluster(backend: Any, cluster_identifier: str) -> Any:
        cluster = backend.clusters.get(cluster_identifier)
        if cluster is not None and cluster.global_cluster_identifier:
            raise InvalidDBClusterStateFault(
                f"DB cluster {cluster_identifier} is part of a global database: "
                "it cannot be stopped."
            )
        if cluster is not None and cluster.engine_mode == "serverless":
            raise InvalidDBClusterStateFault(
                f"Stop is not supported for Aurora Serverless v1 DB cluster {cluster_identifier}."
            )
        return original(backend, cluster_identifier)

    return stop_db_cluster


@contextmanager
def eks_updates_take_time() -> Iterator[Callable[[], None]]:
    """Node group updates stay in progress until the yielded ``finish()`` is called."""
    from moto.eks.exceptions import ResourceInUseException
    from moto.eks.models import EKSBackend

    updating: list[Any] = []
    original = EKSBackend.update_nodegroup_config

    def update_nodegroup_config(
        backend: Any, cluster_name: str, nodegroup_name: str, **changes: Any
    ) -> Any:
        nodegroup = backend.clusters[cluster_name].nodegroups[nodegroup_name]
        if nodegroup.status != "ACTIVE":
            raise ResourceInUseException(
                message=f"Nodegroup {nodegroup_name} is not in ACTIVE state: {nodegroup.status}",
                clusterName=cluster_name,
                nodegroupName=nodegroup_name,
                addonName=None,
            )
        update = original(backend, cluster_name, nodegroup_name, **changes)
        nodegroup.status = "UPDATING"
        updating.append(nodegroup)
        return {**update, "status": "InProgress"}

    def finish() -> None:
        for nodegroup in updating:
            nodegroup.status = "ACTIVE"
        updating.clear()

    with mock.patch.object(EKSBackend, "update_nodegroup_config", update_nodegroup_config):
        yield finish


def fail_sagemaker(
    name: str, notebook: bool, region: str = DEMO_REGION, account: str = DEMO_ACCOUNT
) -> None:
    """Put a moto notebook instance (or endpoint) in ``Failed``, a status moto never
    reaches by itself (SageMaker API 2017-07-24, NotebookInstanceStatus, EndpointStatus)."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account][region]
    if notebook:
        backend.notebook_instances[name].status = "Failed"
    else:
        backend.endpoints[name].endpoint_status = "Failed"
