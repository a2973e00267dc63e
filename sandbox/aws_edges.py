"""The demo's AWS edge resources: what AWS will not let offhours stop, and what it must
schedule another way (``sandbox/aws_limits.py`` makes moto refuse as AWS does).

- ``gpu-nodes``: an EKS managed node group carrying the schedule tag, scheduled through the
  EKS API (kind ``eks-nodegroups``);
- its Auto Scaling group, which EKS manages and which carries the cluster's tags (the
  schedule among them): left to EKS, with the reason in the demo's report;
- ``scratch-nvme``: an instance-store-backed EC2 instance, which AWS cannot stop;
- ``locked-box``: an EC2 instance with stop protection on, which DescribeInstances does
  not show: offhours learns it from the first refusal and skips it from then on.

Call ``seed_edges`` inside an active ``moto.mock_aws()``; it takes a boto3 Session.
"""

from __future__ import annotations

from typing import Any

from sandbox.aws_fleet import AMI, Box, launch
from sandbox.aws_limits import make_instance_store

CLUSTER = "ml-eks"
NODEGROUP = "gpu-nodes"


def seed_edges(session: Any, account: str, region: str) -> dict[str, str]:
    """Seed the edge resources; returns name -> kind (the kind that discovers each)."""
    eks = session.client("eks", region_name=region)
    eks.create_cluster(
        name=CLUSTER,
        roleArn=f"arn:aws:iam::{account}:role/offhours-demo-eks",
        resourcesVpcConfig={"subnetIds": ["subnet-demo"]},
        tags={"team": "ml"},
    )
    nodegroup = eks.create_nodegroup(
        clusterName=CLUSTER,
        nodegroupName=NODEGROUP,
        nodeRole=f"arn:aws:iam::{account}:role/offhours-demo-nodes",
        subnets=["subnet-demo"],
        scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2},
        instanceTypes=["g4dn.xlarge"],
        tags={"schedule": "office-hours", "team": "ml"},
    )["nodegroup"]
    behind = nodegroup["resources"]["autoScalingGroups"][0]["name"]
    ec2 = session.client("ec2", region_name=region)
    _eks_group(ec2, session, region, behind)
    scratch = launch(ec2, Box("scratch-nvme", "c5d.large", {"schedule": "office-hours"}))
    make_instance_store(scratch, region, account)
    locked = launch(ec2, Box("locked-box", "t3.large", {"schedule": "office-hours"}))
    ec2.modify_instance_attribute(InstanceId=locked, DisableApiStop={"Value": True})
    return {
        NODEGROUP: "eks-nodegroups",
        behind: "asg",
        "scratch-nvme": "ec2",
        "locked-box": "ec2",
    }


def _eks_group(ec2: Any, session: Any, region: str, name: str) -> None:
    """The node group's Auto Scaling group as EKS makes it (moto does not): EKS's tags,
    and the schedule tag its owner copied from the cluster."""
    ec2.create_launch_template(
        LaunchTemplateName=f"{name}-lt",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "g4dn.xlarge"},
    )
    tags = {
        "eks:cluster-name": CLUSTER,
        "eks:nodegroup-name": NODEGROUP,
        "schedule": "office-hours",
        "team": "ml",
    }
    session.client("autoscaling", region_name=region).create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": f"{name}-lt", "Version": "$Default"},
        MinSize=1,
        DesiredCapacity=2,
        MaxSize=4,
        AvailabilityZones=[f"{region}a"],
        Tags=[
            {
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
                "Key": key,
                "Value": value,
                "PropagateAtLaunch": False,
            }
            for key, value in tags.items()
        ],
    )
