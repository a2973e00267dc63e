"""Helpers the snooze tests share: a key, a resource's links, moto seeding."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from functions.jobs.snooze.links import link_maker
from providers.base import Resource, ResourceState

KEY = b"snooze-test-key-0123456789abcdef-0123"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
OVERRIDE = "schedule-override"


def resource(
    kind: str,
    rid: str,
    provider: str = "aws",
    account: str = ACCOUNT,
    region: str = REGION,
    tags: Mapping[str, str] | None = None,
) -> Resource:
    return Resource(
        provider, account, region, kind, rid, rid, dict(tags or {}), ResourceState.RUNNING
    )


def links_for(
    res: Resource, stop_at: datetime, base: str = "https://snooze.example", key: bytes = KEY
) -> dict[str, str]:
    """action -> URL, from the links callable the notices use."""
    labels = link_maker(base, key)(res, stop_at)
    actions = ("keep-1h", "keep-2h", "keep-until-08", "skip-tonight")
    return dict(zip(actions, (url for _, url in labels), strict=True))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def launch_box(ec2: Any, name: str, tags: Mapping[str, str], size: str = "t3.medium") -> str:
    answer = ec2.run_instances(
        ImageId="ami-12c6146b",
        InstanceType=size,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in {"Name": name, **tags}.items()],
            }
        ],
    )
    return str(answer["Instances"][0]["InstanceId"])


def tags_of(ec2: Any, instance_id: str) -> dict[str, str]:
    answer = ec2.describe_instances(InstanceIds=[instance_id])
    instance = answer["Reservations"][0]["Instances"][0]
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def state_of(ec2: Any, instance_id: str) -> str:
    answer = ec2.describe_instances(InstanceIds=[instance_id])
    return str(answer["Reservations"][0]["Instances"][0]["State"]["Name"])


# --- The Lambda function behind a local HTTP server, against a moto server ---------------

LEDGER = "s3://snooze-ledger/offhours"
SECRET = "offhours/snooze-key"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:offhours-snooze"


class LambdaContext:
    invoked_function_arn = FUNCTION_ARN
    function_name = "offhours-snooze"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def function_url_event(method: str, target: str, headers: Mapping[str, str], body: bytes) -> dict:
    """What a Lambda function URL hands the function (payload format 2.0)."""
    import base64

    split = urlsplit(target)
    return {
        "version": "2.0",
        "rawPath": split.path or "/",
        "rawQueryString": split.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "anonymous",
            "http": {"method": method, "path": split.path or "/", "protocol": "HTTP/1.1"},
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def function_url_server() -> Any:
    """A loopback HTTP server that turns each request into a function URL event for
    ``functions.clouds.aws_snooze.handler`` and its answer back into HTTP."""
    from http.server import ThreadingHTTPServer

    from functions.clouds.aws_snooze import handler
    from sandbox.loopback_http import LoopbackHttp, QuietHandler

    class FunctionUrl(QuietHandler):
        def _invoke(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            event = function_url_event(self.command, self.path, dict(self.headers), body)
            answer = handler(event, LambdaContext())
            payload = str(answer.get("body", "")).encode()
            self.send_response(int(answer["statusCode"]))
            for name, value in answer.get("headers", {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _invoke

    return LoopbackHttp(ThreadingHTTPServer(("127.0.0.1", 0), FunctionUrl), "function-url")


def lambda_env(moto_url: str) -> dict[str, str]:
    return {
        "OFFHOURS_AWS_ENDPOINT_URL": moto_url,
        "OFFHOURS_STORE_ENDPOINT_URL": moto_url,
        "OFFHOURS_LEDGER": LEDGER,
        "OFFHOURS_SNOOZE_KEY_SECRET": SECRET,
        "OFFHOURS_DEFAULT_TZ": "Europe/London",
        "AWS_DEFAULT_REGION": REGION,
    }


def seed_deployment(moto_url: str) -> dict[str, Any]:
    """The secret and the ledger bucket a deployment has; clients for the tests."""
    import urllib.request

    import boto3

    # Moto servers in one process share their state: start from a clean account.
    reset = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=30).read()

    clients = {
        name: boto3.client(name, region_name=REGION, endpoint_url=moto_url)
        for name in ("ec2", "s3", "secretsmanager")
    }
    clients["secretsmanager"].create_secret(Name=SECRET, SecretString=KEY.decode())
    clients["s3"].create_bucket(
        Bucket="snooze-ledger", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return clients


def next_run(moto_url: str, at: datetime, capsys: Any) -> dict[str, dict[str, Any]]:
    """``offhours run`` (the console script's main, in-process) at ``at``: id -> decision."""
    import json

    from functions.cli.main import main

    capsys.readouterr()
    code = main(
        [
            "run",
            "--region",
            REGION,
            "--ledger",
            LEDGER,
            "--kinds",
            "ec2",
            "--grace-minutes",
            "0",
            "--at",
            at.isoformat(),
            "--output",
            "json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    return {d["id"]: d for d in json.loads(out)["decisions"]}


def ledger_rows(moto_url: str) -> list[dict[str, Any]]:
    from ledger.book import read_records
    from providers.aws.s3_store import S3Store

    return list(read_records(S3Store(LEDGER, endpoint_url=moto_url)))


@contextmanager
def aws_deployment() -> Iterator[dict[str, Any]]:
    """A moto server seeded as a stack with the snooze function, the Lambda's environment
    set, and the handler behind a local function URL: ``{"moto", "url", clients...}``."""
    from sandbox.moto_server import moto_server

    with moto_server() as url, pytest.MonkeyPatch.context() as env:
        for name, value in lambda_env(url).items():
            env.setenv(name, value)
        clients = seed_deployment(url)
        server = function_url_server()
        try:
            yield {"moto": url, "url": server.url, **clients}
        finally:
            server.stop()
