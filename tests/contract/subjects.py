"""One subject per registered kind: how to make a schedule-tagged resource of that kind in
its cloud's fake (moto for AWS, sandbox/ for GCP and Azure), read its real state back, and
inject the faults the contract cases need. The cases themselves are in test_contract.py.

Each subject works inside one shared fake (a module fixture): names are unique per test,
and every reading goes to the fake, never to the adapter under test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from botocore.awsrequest import AWSResponse

from providers.base import Resource, ResourceState, Target
from providers.restore import RestoreStore

ACCOUNT = "123456789012"
REGION = "eu-west-1"
AWS_TARGET = Target("aws", ACCOUNT, REGION)
PROJECT = "contract-project"
ZONE = "europe-west4-a"
GCP_REGION = "europe-west4"
SUB = "00000000-0000-4000-8000-00000000c0de"
TAGS = {"schedule": "office-hours"}
NOTEBOOK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/notebooks"
NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # a Wednesday evening: the cases' clock


class Subject:
    """What every case asks of a kind. ``scales_to_zero`` kinds also have ``make_at_zero``
    (a resource at zero with nothing saved to restore by the time a start is applied);
    ``long_running`` kinds have ``hold``/``fail_operation`` (the cloud's operation);
    ``measures_idle`` kinds have ``serve`` (traffic inside their idle window)."""

    cloud = ""
    kind = ""
    scales_to_zero = False
    long_running = False
    measures_idle = False
    # The cloud's name for the operation that brings the resource back (GCP, Azure).
    start_verb = "start"

    def __init__(self, world: Any) -> None:
        self.world = world
        self.connection = world.connect()

    def listed_name(self, name: str) -> str:
        """The ``Resource.name`` discovery gives the resource called ``name``."""
        return name

    @property
    def target(self) -> Target:
        raise NotImplementedError

    def make(self, name: str) -> None:
        raise NotImplementedError

    def is_on(self, name: str) -> bool:
        raise NotImplementedError

    def turn_off_by_hand(self, name: str) -> None:
        raise NotImplementedError

    def refuse_next_stop(self, name: str) -> None:
        raise NotImplementedError

    def make_at_zero(self, name: str) -> None:
        raise NotImplementedError

    def lose_saved_state(self, name: str) -> None:
        """Between discovery and apply, what was saved to restore ``name`` goes missing
        (kinds that exist at zero only as what was saved); nothing to do for the others."""

    def serve(self, name: str) -> None:
        raise NotImplementedError

    def hold(self, name: str, verb: str) -> None:
        raise NotImplementedError

    def fail_operation(self, name: str) -> None:
        raise NotImplementedError


# ------------------------------------------------------------------ AWS (moto)


class AwsFaults:
    """Refuses chosen calls with the error AWS would send: a ``before-call`` hook on the
    connection's session answers them with a 4xx before moto sees them, so the SDK raises
    its own ClientError (moto cannot be told to refuse one resource)."""

    def __init__(self, session: Any) -> None:
        self.refusals: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        session.events.register("before-call", self._before_call)

    def refuse(self, operation: str, marker: str, code: str = "UnauthorizedOperation") -> None:
        with self._lock:
            self.refusals[(operation, marker)] = code

    def _before_call(self, model: Any, params: Any, **_: Any) -> Any:
        body = str(params.get("body", "")) + str(params.get("url_path", ""))
        with self._lock:
            for (operation, marker), code in list(self.refusals.items()):
                if model.name == operation and marker in body:
                    del self.refusals[(operation, marker)]
                    response = AWSResponse("https://refused.invalid", 400, {}, None)
                    message = f"refused by the contract test: {operation} on {marker}"
                    return response, {"Error": {"Code": code, "Message": message}}
        return None


class AwsSubject(Subject):
    cloud = "aws"

    def __init__(self, world: Any) -> None:
        super().__init__(world)
        self.faults = AwsFaults(self.connection.session)

    @property
    def target(self) -> Target:
        return AWS_TARGET

    def client(self, service: str) -> Any:
        return self.world.clients(service)


class Ec2Subject(AwsSubject):
    kind = "ec2"

    def __init__(self, world: Any) -> None:
        super().__init__(world)
        self.ids: dict[str, str] = {}

    def make(self, name: str) -> None:
        from sandbox.aws_fleet import AMI

        tags = [{"Key": k, "Value": v} for k, v in {**TAGS, "Name": name}.items()]
        made = self.client("ec2").run_instances(
            ImageId=AMI,
            InstanceType="t3.medium",
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )
        self.ids[name] = made["Instances"][0]["InstanceId"]

    def _state(self, name: str) -> str:
        found = self.client("ec2").describe_instances(InstanceIds=[self.ids[name]])
        return str(found["Reservations"][0]["Instances"][0]["State"]["Name"])

    def is_on(self, name: str) -> bool:
        return self._state(name) in ("pending", "running")

    def turn_off_by_hand(self, name: str) -> None:
        self.client("ec2").stop_instances(InstanceIds=[self.ids[name]])

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("StopInstances", self.ids[name])


class RdsSubject(AwsSubject):
    kind = "rds"

    def make(self, name: str) -> None:
        self.client("rds").create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="admin",
            MasterUserPassword="not-a-secret-1",
            AllocatedStorage=20,
            Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
        )

    def is_on(self, name: str) -> bool:
        found = self.client("rds").describe_db_instances(DBInstanceIdentifier=name)
        return found["DBInstances"][0]["DBInstanceStatus"] != "stopped"

    def turn_off_by_hand(self, name: str) -> None:
        self.client("rds").stop_db_instance(DBInstanceIdentifier=name)

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("StopDBInstance", name, "InvalidDBInstanceState")


class AuroraSubject(AwsSubject):
    kind = "aurora"

    def make(self, name: str) -> None:
        self.client("rds").create_db_cluster(
            DBClusterIdentifier=name,
            Engine="aurora-postgresql",
            MasterUsername="admin",
            MasterUserPassword="not-a-secret-1",
            Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
        )

    def is_on(self, name: str) -> bool:
        found = self.client("rds").describe_db_clusters(DBClusterIdentifier=name)
        return found["DBClusters"][0]["Status"] != "stopped"

    def turn_off_by_hand(self, name: str) -> None:
        self.client("rds").stop_db_cluster(DBClusterIdentifier=name)

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("StopDBCluster", name, "InvalidDBClusterStateFault")


class AsgSubject(AwsSubject):
    kind = "asg"
    scales_to_zero = True

    def _group(self, name: str, size: tuple[int, int, int]) -> None:
        from sandbox.aws_fleet import AMI

        ec2 = self.client("ec2")
        if not ec2.describe_launch_templates(
            Filters=[{"Name": "launch-template-name", "Values": ["contract-lt"]}]
        )["LaunchTemplates"]:
            ec2.create_launch_template(
                LaunchTemplateName="contract-lt",
                LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.medium"},
            )
        low, desired, high = size
        self.client("autoscaling").create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": "contract-lt", "Version": "$Latest"},
            MinSize=low,
            DesiredCapacity=desired,
            MaxSize=high,
            AvailabilityZones=[f"{REGION}a"],
            Tags=[
                {
                    "ResourceId": name,
                    "ResourceType": "auto-scaling-group",
                    "Key": k,
                    "Value": v,
                    "PropagateAtLaunch": False,
                }
                for k, v in TAGS.items()
            ],
        )

    def make(self, name: str) -> None:
        self._group(name, (1, 2, 3))

    def make_at_zero(self, name: str) -> None:
        self._group(name, (0, 0, 3))

    def is_on(self, name: str) -> bool:
        found = self.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[name]
        )
        return int(found["AutoScalingGroups"][0]["DesiredCapacity"]) > 0

    def turn_off_by_hand(self, name: str) -> None:
        self.client("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, DesiredCapacity=0
        )

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("UpdateAutoScalingGroup", name, "AccessDenied")


class EcsSubject(AwsSubject):
    kind = "ecs"
    scales_to_zero = True
    cluster = "contract"

    def _service(self, name: str, desired: int) -> None:
        ecs = self.client("ecs")
        ecs.create_cluster(clusterName=self.cluster)
        ecs.register_task_definition(
            family="api",
            containerDefinitions=[{"name": "api", "image": "nginx"}],
            cpu="512",
            memory="1024",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
        )
        ecs.create_service(
            cluster=self.cluster,
            serviceName=name,
            taskDefinition="api",
            desiredCount=desired,
            launchType="FARGATE",
            tags=[{"key": k, "value": v} for k, v in TAGS.items()],
        )

    def make(self, name: str) -> None:
        self._service(name, 2)

    def make_at_zero(self, name: str) -> None:
        self._service(name, 0)

    def is_on(self, name: str) -> bool:
        found = self.client("ecs").describe_services(cluster=self.cluster, services=[name])
        return int(found["services"][0]["desiredCount"]) > 0

    def turn_off_by_hand(self, name: str) -> None:
        self.client("ecs").update_service(cluster=self.cluster, service=name, desiredCount=0)

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("UpdateService", name, "AccessDeniedException")


class EksNodegroupSubject(AwsSubject):
    kind = "eks-nodegroups"
    scales_to_zero = True
    cluster = "contract"

    def _nodegroup(self, name: str, desired: int) -> None:
        eks = self.client("eks")
        if self.cluster not in eks.list_clusters()["clusters"]:
            eks.create_cluster(
                name=self.cluster,
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
                resourcesVpcConfig={"subnetIds": ["subnet-contract"]},
            )
        eks.create_nodegroup(
            clusterName=self.cluster,
            nodegroupName=name,
            nodeRole=f"arn:aws:iam::{ACCOUNT}:role/nodes",
            subnets=["subnet-contract"],
            scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": desired},
            instanceTypes=["t3.medium"],
            tags=dict(TAGS),
        )

    def listed_name(self, name: str) -> str:
        return name

    def make(self, name: str) -> None:
        self._nodegroup(name, 2)

    def make_at_zero(self, name: str) -> None:
        self._nodegroup(name, 0)

    def is_on(self, name: str) -> bool:
        found = self.client("eks").describe_nodegroup(clusterName=self.cluster, nodegroupName=name)
        return int(found["nodegroup"]["scalingConfig"]["desiredSize"]) > 0

    def turn_off_by_hand(self, name: str) -> None:
        self.client("eks").update_nodegroup_config(
            clusterName=self.cluster,
            nodegroupName=name,
            scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": 0},
        )

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("UpdateNodegroupConfig", name, "AccessDeniedException")


class NotebookSubject(AwsSubject):
    kind = "sagemaker-notebooks"

    def make(self, name: str) -> None:
        self.client("sagemaker").create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType="ml.t3.medium",
            RoleArn=NOTEBOOK_ROLE,
            Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
        )

    def is_on(self, name: str) -> bool:
        found = self.client("sagemaker").describe_notebook_instance(NotebookInstanceName=name)
        return found["NotebookInstanceStatus"] in ("InService", "Pending")

    def turn_off_by_hand(self, name: str) -> None:
        self.client("sagemaker").stop_notebook_instance(NotebookInstanceName=name)

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("StopNotebookInstance", name, "ValidationException")


class EndpointOperations:
    """What moto does not model for SageMaker endpoints: it creates and deletes them at
    once (always ``InService``, or gone), and no deletion fails after it was accepted.
    The AWS world's ``fake``: names whose change is held (``Creating``/``Deleting`` until
    ``settle()``) or fails (``Failed`` with a reason, and the endpoint stays)."""

    def __init__(self) -> None:
        self.held: dict[str, str] = {}
        self.failing: set[str] = set()
        self._lock = threading.Lock()

    def settle(self) -> None:
        with self._lock:
            self.held.clear()

    def watch(self, session: Any) -> None:
        """Answer through this session's clients as SageMaker would."""
        session.events.register("before-call", self._before_call)
        session.events.register("after-call", self._after_call)

    def _before_call(self, model: Any, params: Any, **_: Any) -> Any:
        if model.name != "DeleteEndpoint":
            return None
        name = json.loads(params.get("body") or b"{}").get("EndpointName")
        with self._lock:
            if name not in self.failing:
                return None
        # Accepted, and left to fail: moto keeps the endpoint.
        return AWSResponse("https://sagemaker.invalid", 200, {}, None), {}

    def _after_call(self, model: Any, parsed: Any, **_: Any) -> None:
        if model.name != "DescribeEndpoint" or "EndpointStatus" not in parsed:
            return
        name = parsed.get("EndpointName")
        with self._lock:
            if name in self.failing:
                parsed["EndpointStatus"] = "Failed"
                parsed["FailureReason"] = "injected by the contract test: deletion failed"
            elif name in self.held:
                parsed["EndpointStatus"] = self.held[name]


class EndpointSubject(AwsSubject):
    kind = "sagemaker-endpoints"
    scales_to_zero = True
    long_running = True
    measures_idle = True
    start_verb = "Creating"
    model = "contract-model"
    tags: ClassVar[dict[str, str]] = {**TAGS, "idle-stop": "60m"}

    def __init__(self, world: Any) -> None:
        super().__init__(world)
        self.fake.watch(self.connection.session)

    @property
    def fake(self) -> EndpointOperations:
        operations: EndpointOperations = self.world.fake
        return operations

    def make(self, name: str) -> None:
        from sandbox.aws_more import create_endpoint

        sagemaker = self.client("sagemaker")
        if not sagemaker.list_models(NameContains=self.model)["Models"]:
            sagemaker.create_model(
                ModelName=self.model,
                ExecutionRoleArn=NOTEBOOK_ROLE,
                PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/m:1"},
            )
        create_endpoint(sagemaker, name, "ml.m5.large", self.tags, model=self.model)
        self._backdate(name)

    def _backdate(self, name: str) -> None:
        """In service since the day before (moto stamps the machine's time): old enough
        to be judged over a whole idle window."""
        from moto.sagemaker.models import sagemaker_backends

        since = (NOW - timedelta(days=1)).replace(tzinfo=None)
        endpoint = sagemaker_backends[ACCOUNT][REGION].endpoints[name]
        endpoint.creation_time = endpoint.last_modified_time = since

    def make_at_zero(self, name: str) -> None:
        """Deleted by an earlier run that saved its spec (so discovery lists it)."""
        from providers.aws.endpoint_specs import capture

        self.make(name)
        spec = capture(self.client("sagemaker"), name, "delete", NOW)
        RestoreStore(self.world.store).save(self._resource(name), spec, NOW)
        self.client("sagemaker").delete_endpoint(EndpointName=name)

    def lose_saved_state(self, name: str) -> None:
        self.world.store.delete(RestoreStore(self.world.store).key(self._resource(name)))

    def _resource(self, name: str) -> Resource:
        return Resource("aws", ACCOUNT, REGION, self.kind, name, name, {}, ResourceState.RUNNING)

    def serve(self, name: str) -> None:
        dimensions = [
            {"Name": "EndpointName", "Value": name},
            {"Name": "VariantName", "Value": "main"},
        ]
        self.client("cloudwatch").put_metric_data(
            Namespace="AWS/SageMaker",
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Dimensions": dimensions,
                    "Timestamp": NOW - timedelta(minutes=20),
                    "Value": 3.0,
                }
            ],
        )

    def is_on(self, name: str) -> bool:
        found = self.client("sagemaker").list_endpoints(NameContains=name)["Endpoints"]
        return any(e["EndpointName"] == name and e["EndpointStatus"] == "InService" for e in found)

    def turn_off_by_hand(self, name: str) -> None:
        self.client("sagemaker").delete_endpoint(EndpointName=name)

    def refuse_next_stop(self, name: str) -> None:
        self.faults.refuse("DeleteEndpoint", name, "AccessDeniedException")

    def hold(self, name: str, verb: str) -> None:
        with self.fake._lock:
            self.fake.held[name] = verb

    def fail_operation(self, name: str) -> None:
        with self.fake._lock:
            self.fake.failing.add(name)


# ------------------------------------------------------------------ GCP (sandbox fake)


class GcpSubject(Subject):
    cloud = "gcp"
    long_running = True
    verb = "stop"

    @property
    def target(self) -> Target:
        return Target("gcp", PROJECT)

    @property
    def fake(self) -> Any:
        return self.world.fake

    def hold(self, name: str, verb: str) -> None:
        self.fake.hold_operation(name, verb)

    def fail_operation(self, name: str) -> None:
        self.fake.fail_operation(name, self.verb)

    def _edit(self, change: Callable[[], None]) -> None:
        with self.fake.world.lock:
            change()


class GceSubject(GcpSubject):
    kind = "instances"

    def make(self, name: str) -> None:
        self.fake.add_instance(PROJECT, ZONE, name, "e2-standard-4", TAGS)

    def is_on(self, name: str) -> bool:
        return self.fake.instance(PROJECT, ZONE, name)["status"] == "RUNNING"

    def turn_off_by_hand(self, name: str) -> None:
        item = self.fake.world.get_instance(PROJECT, ZONE, name)
        self._edit(lambda: item.update(status="TERMINATED"))

    def refuse_next_stop(self, name: str) -> None:
        self.fake.fail(f"/instances/{name}/stop", 403, "Required 'compute.instances.stop'", times=1)


class MigSubject(GcpSubject):
    kind = "instance-groups"
    scales_to_zero = True
    verb = "resize"
    start_verb = "resize"

    def _group(self, name: str, size: int) -> None:
        self.fake.add_template(PROJECT, f"{name}-tmpl", "e2-standard-4", TAGS)
        self.fake.add_mig(PROJECT, ZONE, name, f"{name}-tmpl", size)

    def make(self, name: str) -> None:
        self._group(name, 2)

    def make_at_zero(self, name: str) -> None:
        self._group(name, 0)

    def is_on(self, name: str) -> bool:
        return int(self.fake.mig(PROJECT, ZONE, name)["targetSize"]) > 0

    def turn_off_by_hand(self, name: str) -> None:
        item = self.fake.world.migs[(PROJECT, f"zones/{ZONE}", name)]
        self._edit(lambda: item.update(targetSize=0))

    def refuse_next_stop(self, name: str) -> None:
        self.fake.fail(f"/instanceGroupManagers/{name}/resize", 403, "Permission denied", times=1)


class WorkbenchSubject(GcpSubject):
    kind = "workbench"

    def make(self, name: str) -> None:
        self.fake.add_workbench(PROJECT, ZONE, name, "e2-standard-4", TAGS)

    def _item(self, name: str) -> Any:
        return self.fake.world.workbench[f"projects/{PROJECT}/locations/{ZONE}/instances/{name}"]

    def is_on(self, name: str) -> bool:
        return self.fake.workbench(PROJECT, ZONE, name)["state"] == "ACTIVE"

    def turn_off_by_hand(self, name: str) -> None:
        item = self._item(name)
        self._edit(lambda: item.update(state="STOPPED"))

    def refuse_next_stop(self, name: str) -> None:
        self.fake.fail(f"/instances/{name}:stop", 403, "Permission denied", times=1)


class VertexSubject(GcpSubject):
    """An endpoint whose one model was deployed a week before ``NOW``; its ``id`` is its
    name. Off is every model undeployed, with the deployment saved to restore."""

    kind = "vertex-endpoints"
    scales_to_zero = True
    measures_idle = True
    verb = "undeployModel"
    start_verb = "deployModel"
    labels: ClassVar[dict[str, str]] = {**TAGS, "idle-stop": "60m"}

    def _models(self) -> list[dict[str, Any]]:
        where = f"projects/{PROJECT}/locations/{GCP_REGION}"
        machine = {"machineType": "n1-standard-4"}
        resources = {"machineSpec": machine, "minReplicaCount": 1, "maxReplicaCount": 1}
        return [{"id": "1", "model": f"{where}/models/m1", "dedicatedResources": resources}]

    def make(self, name: str) -> None:
        self.fake.add_endpoint(PROJECT, GCP_REGION, name, name, self.labels, self._models())

    def make_at_zero(self, name: str) -> None:
        """Undeployed by an earlier run that saved the deployment (discovered at zero)."""
        self.make(name)
        endpoint = self.fake.endpoint(PROJECT, GCP_REGION, name)
        saved = {k: endpoint[k] for k in ("deployedModels", "trafficSplit")}
        RestoreStore(self.world.store).save(self._resource(name), saved, NOW)
        self.turn_off_by_hand(name)

    def lose_saved_state(self, name: str) -> None:
        self.world.store.delete(RestoreStore(self.world.store).key(self._resource(name)))

    def _resource(self, name: str) -> Resource:
        endpoint_id = f"projects/{PROJECT}/locations/{GCP_REGION}/endpoints/{name}"
        return Resource(
            "gcp", PROJECT, GCP_REGION, self.kind, endpoint_id, name, {}, ResourceState.RUNNING
        )

    def serve(self, name: str) -> None:
        self.fake.set_prediction_count(PROJECT, name, 7, at=NOW - timedelta(minutes=20))

    def _item(self, name: str) -> Any:
        return self.fake.world.endpoints[self._resource(name).id]

    def is_on(self, name: str) -> bool:
        return bool(self.fake.endpoint(PROJECT, GCP_REGION, name)["deployedModels"])

    def turn_off_by_hand(self, name: str) -> None:
        item = self._item(name)
        self._edit(lambda: item.update(deployedModels=[], trafficSplit={}))

    def refuse_next_stop(self, name: str) -> None:
        self.fake.fail(f"/endpoints/{name}:undeployModel", 403, "Permission denied", times=1)


# ------------------------------------------------------------------ Azure (sandbox fake)


class AzureSubject(Subject):
    cloud = "azure"
    long_running = True
    verb = ""
    group = "contract-rg"

    @property
    def target(self) -> Target:
        return Target("azure", SUB)

    @property
    def fake(self) -> Any:
        return self.world.fake

    def hold(self, name: str, verb: str) -> None:
        self.fake.hold_action(name, verb)

    def fail_operation(self, name: str) -> None:
        self.fake.fail_action(name, self.verb, asynchronous=True, code="OperationFailed")

    def refuse_next_stop(self, name: str) -> None:
        self.fake.fail_action(name, self.verb, status=409, code="OperationNotAllowed")


class VmSubject(AzureSubject):
    kind = "vms"
    verb = "deallocate"

    def make(self, name: str) -> None:
        self.fake.add_vm(SUB, self.group, name, "Standard_D2s_v5", "westeurope", TAGS)

    def is_on(self, name: str) -> bool:
        return self.fake.vm(name, SUB).power_state == "running"

    def turn_off_by_hand(self, name: str) -> None:
        self.fake.vm(name, SUB).power_state = "deallocated"


class ScaleSetSubject(AzureSubject):
    kind = "scale-sets"
    verb = "update"
    start_verb = "update"
    scales_to_zero = True

    def make(self, name: str) -> None:
        self.fake.add_scale_set(
            SUB, self.group, name, "Standard_D2s_v5", "westeurope", TAGS, capacity=3
        )

    def make_at_zero(self, name: str) -> None:
        self.fake.add_scale_set(
            SUB, self.group, name, "Standard_D2s_v5", "westeurope", TAGS, capacity=0
        )

    def is_on(self, name: str) -> bool:
        return int(self.fake.scale_set(name, SUB).capacity) > 0

    def turn_off_by_hand(self, name: str) -> None:
        self.fake.scale_set(name, SUB).capacity = 0


class MlComputeSubject(AzureSubject):
    kind = "ml-compute"
    verb = "stop"

    def listed_name(self, name: str) -> str:
        return f"contract-ws/{name}"

    def make(self, name: str) -> None:
        self.fake.add_ml_compute(
            SUB, self.group, "contract-ws", name, "Standard_DS3_v2", "westeurope", TAGS
        )

    def is_on(self, name: str) -> bool:
        return self.fake.ml_compute(name, SUB).state == "Running"

    def turn_off_by_hand(self, name: str) -> None:
        self.fake.ml_compute(name, SUB).state = "Stopped"


class AksSubject(AzureSubject):
    kind = "aks"
    verb = "stop"

    def make(self, name: str) -> None:
        self.fake.add_aks(SUB, self.group, name, "westeurope", TAGS)

    def is_on(self, name: str) -> bool:
        return self.fake.aks(name, SUB).power_state == "Running"

    def turn_off_by_hand(self, name: str) -> None:
        self.fake.aks(name, SUB).power_state = "Stopped"


SUBJECTS: dict[tuple[str, str], type[Subject]] = {
    (s.cloud, s.kind): s
    for s in (
        Ec2Subject,
        RdsSubject,
        AuroraSubject,
        AsgSubject,
        EcsSubject,
        EksNodegroupSubject,
        NotebookSubject,
        EndpointSubject,
        GceSubject,
        MigSubject,
        WorkbenchSubject,
        VertexSubject,
        VmSubject,
        ScaleSetSubject,
        MlComputeSubject,
        AksSubject,
    )
}
