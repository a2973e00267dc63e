"""The small AWS modules at their edges, on moto: idle windows and CloudWatch sums, error
words, the tag listing, the S3 store on a bucket that is not there, the Price List API
where it does not answer, SES refusing a sender, and a connection without credentials."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aws_kit import MONDAY, REGION, TARGET

from providers.aws import idle
from providers.aws.actions import error_text
from providers.aws.connection import AwsAccessError, LazyClient, connect
from providers.aws.price_list import AwsPriceList, on_demand_hourly
from providers.aws.s3_store import S3Store
from providers.aws.ses_mail import SesSender, SesSendError
from providers.aws.tagging import TagListings, resource_type_of
from providers.base import ProviderConfig
from providers.idle_rule import parse_window
from providers.pricing import PriceSourceError, Quote
from providers.store import ABSENT, StoreError


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("60m", timedelta(hours=1)),
        ("45", timedelta(minutes=45)),
        (" 2 hours ", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("3 Days", timedelta(days=3)),
    ],
)
def test_idle_windows_in_minutes_hours_or_days(text: str, window: timedelta) -> None:
    assert parse_window(text) == window


@pytest.mark.parametrize("text", ["", "0m", "an hour", "1w", "-5m"])
def test_an_idle_window_that_is_not_one_says_which_forms_work(text: str) -> None:
    with pytest.raises(ValueError, match="use minutes, hours or days like 60m, 2h, 1d"):
        parse_window(text)


def test_invocations_are_summed_per_endpoint_over_its_own_window(clients: Any) -> None:
    now = MONDAY + timedelta(days=3)

    def put(endpoint: str, hours_ago: float, value: float) -> None:
        clients.cloudwatch.put_metric_data(
            Namespace=idle.NAMESPACE,
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": endpoint},
                        {"Name": "VariantName", "Value": "main"},
                    ],
                    "Timestamp": now - timedelta(hours=hours_ago),
                    "Value": value,
                }
            ],
        )

    put("short", 2, 5)  # inside a six-hour window
    put("long", 30, 7)  # inside two days, outside six hours
    put("quiet", 30, 9)  # outside its six-hour window
    dims = [{"EndpointName": "", "VariantName": "main"}]
    watches = [
        idle.Watch(name, window, [{**dims[0], "EndpointName": name}])
        for name, window in (
            ("short", timedelta(hours=6)),
            ("long", timedelta(days=2)),
            ("quiet", timedelta(hours=6)),
            ("unused", timedelta(minutes=30)),
        )
    ]
    assert idle.invocations(clients.cloudwatch, watches, now) == {
        "short": 5.0,
        "long": 7.0,
        "quiet": 0.0,
        "unused": 0.0,
    }


def test_error_words_for_client_errors_and_for_the_sdks_own() -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError

    refused = ClientError(
        {"Error": {"Code": "Throttling", "Message": "slow down"}}, "StopInstances"
    )
    assert error_text(refused) == "Throttling: slow down"
    assert error_text(ClientError({"Error": {}}, "StopInstances")) == "Error:"
    unreachable = EndpointConnectionError(endpoint_url="https://ec2.invalid")
    assert error_text(unreachable) == (
        'EndpointConnectionError: Could not connect to the endpoint URL: "https://ec2.invalid"'
    )


def test_resource_types_from_arns() -> None:
    assert resource_type_of("arn:aws:rds:eu-west-1:1234:db:orders") == "rds:db"
    assert resource_type_of("arn:aws-cn:sagemaker:cn-north-1:1234:endpoint/x") == (
        "sagemaker:endpoint"
    )
    assert resource_type_of("not-an-arn") == ""


def test_a_tag_listing_answers_only_registered_types(clients: Any) -> None:
    for name, tags in (("lab", {"schedule": "x"}), ("other", {"team": "ml"})):
        clients.sagemaker.create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType="ml.t3.medium",
            RoleArn="arn:aws:iam::123456789012:role/sm",
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    tagging = clients.resourcegroupstaggingapi
    listings = TagListings()
    with pytest.raises(KeyError, match="was not registered"):
        listings.tagged(TARGET, "rds:db", lambda: tagging)
    listings.want("sagemaker:notebook-instance", ["schedule", "idle-stop"])
    found = listings.tagged(TARGET, "sagemaker:notebook-instance", lambda: tagging)
    assert [arn.rsplit("/", 1)[-1] for arn in found] == ["lab"]


@pytest.fixture
def bucket(clients: Any) -> str:
    clients.s3.create_bucket(
        Bucket="ledger", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return "ledger"


def test_an_s3_store_on_a_missing_bucket_fails_as_a_store_error(clients: Any, bucket: str) -> None:
    with pytest.raises(StoreError, match="not an S3 location"):
        S3Store("gs://ledger/x", client=clients.s3)
    with pytest.raises(StoreError, match="not an S3 location"):
        S3Store("s3:///x", client=clients.s3)
    missing = S3Store("s3://no-such-bucket/offhours", client=clients.s3)
    for attempt in (
        lambda: missing.get("a.json"),
        lambda: missing.put("a.json", b"{}"),
        lambda: missing.put_if("a.json", b"{}", ABSENT),
        lambda: list(missing.list("ledger/")),
        lambda: missing.delete("a.json"),
    ):
        with pytest.raises(StoreError, match="no-such-bucket"):
            attempt()
    # The bucket's own root (no prefix) keeps keys as they are.
    root = S3Store(f"s3://{bucket}", client=clients.s3)
    version = root.put_if("a.json", b"1", ABSENT)
    assert root.read("a.json").version == version and list(root.list("")) == ["a.json"]


def test_price_list_documents_in_other_currencies_and_units() -> None:
    def document(*dimensions: dict[str, Any]) -> dict[str, Any]:
        return {
            "terms": {
                "OnDemand": {
                    "t": {"priceDimensions": {str(i): d for i, d in enumerate(dimensions)}}
                }
            }
        }

    cny = {"unit": "Hrs", "pricePerUnit": {"CNY": "0.7"}}
    assert on_demand_hourly(document(cny)) == Quote(0.7, "CNY")
    monthly = {"unit": "Quantity", "pricePerUnit": {"USD": "70"}}
    free = {"unit": "Hrs", "pricePerUnit": {"USD": "0.0000000000"}}
    assert on_demand_hourly(document(monthly, free)) is None
    both = {"unit": "Hrs", "pricePerUnit": {"USD": "0.1", "EUR": "0.09"}}
    assert on_demand_hourly(document(both)) == Quote(0.1, "USD")


def test_the_price_list_api_not_answering_is_a_price_source_error(aws: None) -> None:
    import boto3

    # moto has no Price List API: its answer is an error, as an unreachable API's is.
    source = AwsPriceList(boto3.client("pricing", region_name="us-east-1"))
    with pytest.raises(PriceSourceError, match=r"^pricing.get_products AmazonEC2 eu-west-1 m5"):
        source.fetch("ec2", "eu-west-1", "m5.large")


def test_ses_refusing_an_unverified_sender_is_a_send_error(clients: Any) -> None:
    message = EmailMessage()
    message["From"] = "offhours@example.com"
    message["To"] = "Team <team@example.com>"
    message["Cc"] = "lead@example.com"
    message.set_content("saved 12 USD")
    with pytest.raises(SesSendError, match=r"^SES to team@example.com, lead@example.com: "):
        SesSender(clients.ses, configuration_set="digest").send(message)


def test_a_connection_without_credentials_says_so(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    connection = connect(ProviderConfig(regions=("ap-south-1",)))
    # No session region: the connection's own calls go to the run's first region.
    assert connection._home_region() == "ap-south-1"
    with pytest.raises(AwsAccessError, match="no AWS credentials found"):
        connection.client("ec2", TARGET)


def test_a_lazy_client_is_made_once_and_closing_an_unmade_one_does_nothing() -> None:
    made: list[str] = []

    class Client:
        region = "eu-west-1"
        closed = False

        def close(self) -> None:
            self.closed = True

    def make() -> Client:
        made.append("client")
        return Client()

    lazy = LazyClient(make)
    lazy.close()
    assert not lazy.made and made == []
    assert lazy.region == "eu-west-1"
    lazy.region = "us-east-1"
    assert lazy.region == "us-east-1"
    del lazy.region
    assert lazy.region == "eu-west-1"  # the class's own again
    lazy.close()
    assert lazy.closed and made == ["client"]


def test_databases_rds_cannot_stop_say_why() -> None:
    from providers.aws.rds import _cluster_unmanaged, _instance_unmanaged

    postgres = {"Engine": "postgres"}
    assert _instance_unmanaged(postgres) == ""
    assert _instance_unmanaged({**postgres, "ReadReplicaSourceDBClusterIdentifier": "c1"}) == (
        "read replica of c1: RDS cannot stop read replicas"
    )
    assert _instance_unmanaged({**postgres, "ReadReplicaDBClusterIdentifiers": ["c2"]}) == (
        "source of read replica(s) c2: RDS cannot stop a database that has read replicas"
    )
    assert _instance_unmanaged({"Engine": "sqlserver-se", "MultiAZ": True}) == (
        "SQL Server Multi-AZ: RDS cannot stop it"
    )
    assert _instance_unmanaged({"Engine": "sqlserver-se", "MultiAZ": False}) == ""
    assert _cluster_unmanaged({"EngineMode": "serverless"}, "") == (
        "Aurora Serverless v1: RDS cannot stop it (it pauses by itself)"
    )
    assert _cluster_unmanaged({}, "global-orders") == (
        "member of global database global-orders: RDS cannot stop it"
    )
    assert _cluster_unmanaged({"ReplicationSourceIdentifier": "arn:src"}, "") == (
        "read replica of arn:src: RDS cannot stop it"
    )
    assert _cluster_unmanaged({"ReadReplicaIdentifiers": ["r1", "r2"]}, "") == (
        "source of read replica(s) r1, r2: RDS cannot stop it"
    )
    assert _cluster_unmanaged({"EngineMode": "provisioned"}, "") == ""


def test_cluster_prices_are_the_sum_of_known_members_or_unknown() -> None:
    from providers.aws.rds import _cluster_price

    one = _cluster_price("eu-west-1", "aurora-postgresql", ["db.r6g.large"])
    assert one is not None
    two = _cluster_price("eu-west-1", "aurora-postgresql", ["db.r6g.large", "db.r6g.large"])
    assert two is not None and two.hourly == pytest.approx(2 * one.hourly)
    assert _cluster_price("eu-west-1", "aurora-postgresql", ["db.r6g.large", "db.x99"]) is None
    assert _cluster_price("eu-west-1", "postgres", ["db.r6g.large"]) is None  # Multi-AZ cluster
    assert _cluster_price("eu-west-1", "aurora-postgresql", []) is None


def test_a_stop_time_tag_that_is_not_a_time_gives_no_restart_note() -> None:
    from datetime import UTC, datetime

    from providers.aws.rds import _restarted_note
    from providers.base import Resource, ResourceState

    def db(stopped_at: str, state: ResourceState = ResourceState.RUNNING) -> Resource:
        return Resource(
            "aws", "1", REGION, "rds", "db", "db", {}, state, extra={"stopped_at": stopped_at}
        )

    now = datetime(2026, 12, 1, 20, tzinfo=UTC)
    assert _restarted_note(db("last tuesday"), now) == ""
    assert _restarted_note(db(""), now) == ""
    assert _restarted_note(db("2026-11-20T19:00:00Z", ResourceState.STOPPED), now) == ""
    # A stop time written without a zone is UTC.
    assert _restarted_note(db("2026-11-20T19:00:00"), now).startswith(
        "RDS restarted it after 7 days stopped (offhours stopped it on 2026-11-20 19:00 UTC)"
    )
