"""RDS DB instances (kind ``rds``) and DB clusters (kind ``aurora``): stop and start.

One module, two adapters: both stop and start through the same RDS API, share the price
table and the seven-day rule, but they are separate kinds because the schedule tag sits
on different resources (a cluster carries it, its member instances do not) and the ledger
should tell a database instance from a cluster.

Discovery: RDS cannot filter describe calls by tag, so the Resource Groups Tagging API
lists the tagged ARNs and ``describe_db_instances`` / ``describe_db_clusters`` read them
with an id filter (which accepts ARNs), 50 at a time.

RDS starts a stopped database by itself after seven days. offhours tags what it stops
with ``offhours:stopped-at``; a database found running during off hours whose tag is a
week old or more was restarted by RDS (or by someone, after RDS would have anyway): the
planner stops it again as it stops anything running in an off period, and the result
says why. The tag lives on the database, so the fact survives a lost state store and is
visible to its owner; offhours removes it when it starts the database itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from providers.apply import AlreadyOff, Applier, join_notes
from providers.aws import account_tags
from providers.aws.actions import aws_errors, engine, error_text, target_of
from providers.aws.connection import AwsConnection
from providers.aws.tagging import tag_dict
from providers.base import (
    Action,
    AdapterOptions,
    Decision,
    Price,
    Resource,
    ResourceState,
    Result,
    Scope,
    Target,
    chunks,
)
from providers.prices import bundled_price, price_from_tag
from providers.scopes import inherit, lists_everything

SERVICE = "Amazon Relational Database Service"
PRICES = "rds_prices.json"
STOPPED_AT_TAG = "offhours:stopped-at"
AUTO_START_AFTER = timedelta(days=7)
_FILTER_SIZE = 50
_STATES = {"available": ResourceState.RUNNING, "stopped": ResourceState.STOPPED}
_OFF = ("stopped", "stopping")
# Engine -> the family the price table is keyed by; commercial engines are not priced.
_FAMILIES = {
    "mysql": "mysql",
    "mariadb": "mariadb",
    "postgres": "postgres",
    "aurora": "aurora-mysql",
    "aurora-mysql": "aurora-mysql",
    "aurora-postgresql": "aurora-postgresql",
}
_COMMON_PERMISSIONS = (
    "tag:GetResources",
    account_tags.PERMISSION,
    "rds:DescribeDBInstances",
    "rds:AddTagsToResource",
    "rds:RemoveTagsFromResource",
)


def _scoped(found: Iterable[Resource], scope: Scope | None) -> Iterator[Resource]:
    """Each database under its account's tags (``providers/scopes.py``)."""
    for resource in found:
        if scope is None:
            yield resource
            continue
        tags, within = inherit(resource.tags, scope)
        yield replace(resource, tags=tags, scope=within)


def instance_price(region: str, engine: str, instance_class: str) -> Price | None:
    family = _FAMILIES.get(engine)
    if family is None:
        return None
    return bundled_price("providers.aws", PRICES, region, f"{family}:{instance_class}")


class _RdsKind(Applier[AwsConnection]):
    """What RDS instances and clusters share: tagging what offhours stopped, the
    seven-day note, stop/start with one call per database."""

    kind = ""
    resource_type = ""

    def __init__(self, connection: AwsConnection, options: AdapterOptions) -> None:
        super().__init__(connection, options)
        connection.tag_listings.want(self.resource_type, [options.tag_key])

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.STOP: self._stop, Action.START: self._start}
        return engine(self.kind, self.options).run(decisions, handlers)

    def discover(self, target: Target) -> Iterator[Resource]:
        """The tagged databases; in an account tagged with the schedule (its Organizations
        tags, ``providers/scopes.py``) every database, each under the account's tags."""
        scope = self.connection.account_scope(target.account)
        if lists_everything(scope, self.options.tag_key):
            yield from _scoped(self._listed(target), scope)
        else:
            yield from _scoped(self._discover_tagged(target), scope)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every database, tagged or not (the digest's opportunities), under its account's
        tags."""
        yield from _scoped(self._listed(target), self.connection.account_scope(target.account))

    def _discover_tagged(self, target: Target) -> Iterator[Resource]:
        raise NotImplementedError

    def _listed(self, target: Target) -> Iterator[Resource]:
        raise NotImplementedError

    def _tagged(self, target: Target) -> dict[str, dict[str, str]]:
        return self.connection.tagged(target, self.resource_type)

    def _stop(self, decision: Decision) -> str:
        resource = decision.resource
        rds = self.connection.client("rds", target_of(resource))
        now = self.options.clock()
        try:
            self._stop_call(rds, resource.id)
        except aws_errors():
            # Refused because someone stopped it since discovery: nothing to do.
            if self._status(rds, resource.id) in _OFF:
                raise AlreadyOff(f"the database is {self._status(rds, resource.id)}") from None
            raise
        restarted = _restarted_note(resource, now)
        try:
            rds.add_tags_to_resource(
                ResourceName=resource.extra["arn"],
                Tags=[{"Key": STOPPED_AT_TAG, "Value": _iso(now)}],
            )
        except aws_errors() as err:  # the stop happened; only the seven-day note is at stake
            return join_notes(restarted, f"stop time not recorded ({error_text(err)})")
        return restarted

    def _start(self, decision: Decision) -> str:
        resource = decision.resource
        rds = self.connection.client("rds", target_of(resource))
        self._start_call(rds, resource.id)
        if STOPPED_AT_TAG not in resource.tags:
            return ""
        try:
            rds.remove_tags_from_resource(
                ResourceName=resource.extra["arn"], TagKeys=[STOPPED_AT_TAG]
            )
        except aws_errors() as err:  # started all the same; a stale tag only skews a note
            return f"{STOPPED_AT_TAG} tag not removed ({error_text(err)})"
        return ""

    def _stop_call(self, rds: Any, identifier: str) -> None:
        raise NotImplementedError

    def _status(self, rds: Any, identifier: str) -> str:
        raise NotImplementedError

    def _start_call(self, rds: Any, identifier: str) -> None:
        raise NotImplementedError

    def _resource(
        self,
        target: Target,
        identifier: str,
        arn: str,
        status: str,
        tags: dict[str, str],
        size: str,
        price: Price | None,
        unmanaged: str,
    ) -> Resource:
        return Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=identifier,
            name=identifier,
            tags=tags,
            state=_STATES.get(status, ResourceState.TRANSITIONAL),
            size=size,
            price=price_from_tag(tags) or price,
            unmanaged_reason=unmanaged,
            service=SERVICE,
            extra={"arn": arn, "stopped_at": tags.get(STOPPED_AT_TAG, ""), "status": status},
        )


class RdsInstances(_RdsKind):
    kind = "rds"
    resource_type = "rds:db"
    permissions = (*_COMMON_PERMISSIONS, "rds:StopDBInstance", "rds:StartDBInstance")

    def _discover_tagged(self, target: Target) -> Iterator[Resource]:
        tagged = self._tagged(target)
        rds = self.connection.client("rds", target)
        for batch in chunks(sorted(tagged), _FILTER_SIZE):
            pages = rds.get_paginator("describe_db_instances").paginate(
                Filters=[{"Name": "db-instance-id", "Values": list(batch)}]
            )
            for page in pages:
                for db in page["DBInstances"]:
                    yield self._instance(target, db, tagged.get(db["DBInstanceArn"], {}))

    def _listed(self, target: Target) -> Iterator[Resource]:
        """Every DB instance, tagged or not."""
        rds = self.connection.client("rds", target)
        for page in rds.get_paginator("describe_db_instances").paginate():
            for db in page["DBInstances"]:
                yield self._instance(target, db, {})

    def _instance(self, target: Target, db: dict[str, Any], listed: dict[str, str]) -> Resource:
        tags = tag_dict(db["TagList"]) if "TagList" in db else listed
        size = db["DBInstanceClass"]
        price = instance_price(target.region, db["Engine"], size)
        if price is not None and db.get("MultiAZ"):
            price = Price(price.hourly * 2, price.currency, f"{price.source} x2 Multi-AZ")
        identifier = db["DBInstanceIdentifier"]
        return self._resource(
            target,
            identifier,
            db["DBInstanceArn"],
            db["DBInstanceStatus"],
            tags,
            size,
            price,
            _instance_unmanaged(db),
        )

    def _stop_call(self, rds: Any, identifier: str) -> None:
        rds.stop_db_instance(DBInstanceIdentifier=identifier)

    def _status(self, rds: Any, identifier: str) -> str:
        found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
        return str(found[0]["DBInstanceStatus"]) if found else ""

    def _start_call(self, rds: Any, identifier: str) -> None:
        rds.start_db_instance(DBInstanceIdentifier=identifier)


class AuroraClusters(_RdsKind):
    kind = "aurora"
    resource_type = "rds:cluster"
    permissions = (
        *_COMMON_PERMISSIONS,
        "rds:DescribeDBClusters",
        "rds:DescribeGlobalClusters",
        "rds:StopDBCluster",
        "rds:StartDBCluster",
    )

    def _discover_tagged(self, target: Target) -> Iterator[Resource]:
        tagged = self._tagged(target)
        if not tagged:
            return
        rds = self.connection.client("rds", target)
        clusters: list[dict[str, Any]] = []
        for batch in chunks(sorted(tagged), _FILTER_SIZE):
            pages = rds.get_paginator("describe_db_clusters").paginate(
                Filters=[{"Name": "db-cluster-id", "Values": list(batch)}]
            )
            clusters.extend(c for page in pages for c in page["DBClusters"])
        yield from self._clusters(target, rds, clusters, tagged)

    def _listed(self, target: Target) -> Iterator[Resource]:
        """Every DB cluster, tagged or not."""
        rds = self.connection.client("rds", target)
        pages = rds.get_paginator("describe_db_clusters").paginate()
        clusters = [c for page in pages for c in page["DBClusters"]]
        yield from self._clusters(target, rds, clusters, {})

    def _clusters(
        self,
        target: Target,
        rds: Any,
        clusters: list[dict[str, Any]],
        tagged: Mapping[str, dict[str, str]],
    ) -> Iterator[Resource]:
        members = self._member_classes(rds, clusters)
        global_members = _global_members(rds)
        for cluster in clusters:
            yield self._cluster(target, cluster, members, global_members, tagged)

    def _cluster(
        self,
        target: Target,
        cluster: dict[str, Any],
        members: Mapping[str, str],
        global_members: Mapping[str, str],
        tagged: Mapping[str, dict[str, str]],
    ) -> Resource:
        arn = cluster["DBClusterArn"]
        tags = tag_dict(cluster["TagList"]) if "TagList" in cluster else tagged.get(arn, {})
        classes = [members.get(m["DBInstanceIdentifier"], "") for m in cluster["DBClusterMembers"]]
        return self._resource(
            target,
            cluster["DBClusterIdentifier"],
            arn,
            cluster["Status"],
            tags,
            _cluster_size(classes),
            _cluster_price(target.region, cluster["Engine"], classes),
            _cluster_unmanaged(cluster, global_members.get(arn, "")),
        )

    def _member_classes(self, rds: Any, clusters: list[dict[str, Any]]) -> dict[str, str]:
        """Member instance id -> instance class, read in one filtered listing."""
        ids = sorted({m["DBInstanceIdentifier"] for c in clusters for m in c["DBClusterMembers"]})
        classes: dict[str, str] = {}
        for batch in chunks(ids, _FILTER_SIZE):
            pages = rds.get_paginator("describe_db_instances").paginate(
                Filters=[{"Name": "db-instance-id", "Values": list(batch)}]
            )
            for page in pages:
                for db in page["DBInstances"]:
                    classes[db["DBInstanceIdentifier"]] = db["DBInstanceClass"]
        return classes

    def _stop_call(self, rds: Any, identifier: str) -> None:
        rds.stop_db_cluster(DBClusterIdentifier=identifier)

    def _status(self, rds: Any, identifier: str) -> str:
        found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        return str(found[0]["Status"]) if found else ""

    def _start_call(self, rds: Any, identifier: str) -> None:
        rds.start_db_cluster(DBClusterIdentifier=identifier)


def _instance_unmanaged(db: dict[str, Any]) -> str:
    if db.get("DBClusterIdentifier"):
        return (
            f"member of DB cluster {db['DBClusterIdentifier']}: the cluster is scheduled "
            "(kind aurora), not its instances"
        )
    source = db.get("ReadReplicaSourceDBInstanceIdentifier") or db.get(
        "ReadReplicaSourceDBClusterIdentifier"
    )
    if source:
        return f"read replica of {source}: RDS cannot stop read replicas"
    replicas = list(db.get("ReadReplicaDBInstanceIdentifiers") or []) + list(
        db.get("ReadReplicaDBClusterIdentifiers") or []
    )
    if replicas:
        return (
            f"source of read replica(s) {', '.join(replicas)}: RDS cannot stop a database "
            "that has read replicas"
        )
    if db["Engine"].startswith("sqlserver") and db.get("MultiAZ"):
        return "SQL Server Multi-AZ: RDS cannot stop it"
    return ""


def _cluster_unmanaged(cluster: dict[str, Any], global_cluster: str) -> str:
    if cluster.get("EngineMode") == "serverless":
        return "Aurora Serverless v1: RDS cannot stop it (it pauses by itself)"
    if global_cluster:
        return f"member of global database {global_cluster}: RDS cannot stop it"
    if cluster.get("ReplicationSourceIdentifier"):
        return f"read replica of {cluster['ReplicationSourceIdentifier']}: RDS cannot stop it"
    if cluster.get("ReadReplicaIdentifiers"):
        replicas = ", ".join(cluster["ReadReplicaIdentifiers"])
        return f"source of read replica(s) {replicas}: RDS cannot stop it"
    return ""


def _global_members(rds: Any) -> dict[str, str]:
    """Cluster ARN -> global database id, for clusters in an Aurora global database."""
    members: dict[str, str] = {}
    for page in rds.get_paginator("describe_global_clusters").paginate():
        for global_cluster in page["GlobalClusters"]:
            for member in global_cluster.get("GlobalClusterMembers", []):
                members[member["DBClusterArn"]] = global_cluster["GlobalClusterIdentifier"]
    return members


def _cluster_size(classes: list[str]) -> str:
    counts = Counter(c or "unknown" for c in classes)
    return ", ".join(f"{n} x {c}" for c, n in sorted(counts.items()))


def _cluster_price(region: str, engine: str, classes: list[str]) -> Price | None:
    """Aurora clusters cost the sum of their instances (storage and I/O are billed either
    way). Unknown when any member's price is, and for non-Aurora Multi-AZ DB clusters,
    which are priced differently."""
    if not engine.startswith("aurora") or not classes:
        return None
    prices = [instance_price(region, engine, c) for c in classes]
    known = [p for p in prices if p is not None]
    if len(known) != len(prices):
        return None
    return Price(round(sum(p.hourly for p in known), 6), known[0].currency, known[0].source)


def _restarted_note(resource: Resource, now: datetime) -> str:
    stopped_at = _parse_iso(resource.extra.get("stopped_at", ""))
    if resource.state is not ResourceState.RUNNING or stopped_at is None:
        return ""
    if now - stopped_at < AUTO_START_AFTER:
        return ""
    return (
        f"RDS restarted it after 7 days stopped (offhours stopped it on "
        f"{stopped_at:%Y-%m-%d %H:%M} UTC); stopping again"
    )


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
