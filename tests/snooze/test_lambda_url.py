"""The snooze Lambda behind a local function URL, against a moto server: the link a
notice carries, opened and confirmed over HTTP, then the next ``offhours run``."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from snooze_kit import (
    ACCOUNT,
    KEY,
    OVERRIDE,
    SECRET,
    aws_deployment,
    launch_box,
    ledger_rows,
    links_for,
    next_run,
    resource,
    state_of,
    tags_of,
)


@pytest.fixture(scope="module")
def deployment() -> Iterator[dict[str, Any]]:
    with aws_deployment() as deployed:
        yield deployed


def fetch(url: str, method: str = "GET", form: bytes | None = None) -> tuple[int, str, Any]:
    request = urllib.request.Request(url, data=form, method=method)
    if form is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode(), answer.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers


def test_confirming_a_link_tags_the_box_and_the_next_run_keeps_it(
    deployment: dict[str, Any], capsys: Any
) -> None:
    ec2 = deployment["ec2"]
    box = launch_box(ec2, "dev-alice", {"schedule": "always-off", "owner": "alice@example.com"})
    control = launch_box(ec2, "dev-bob", {"schedule": "always-off"})
    now = datetime.now(UTC)
    stop = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    links = links_for(
        resource("ec2", box, tags={"owner": "alice@example.com"}), stop, base=deployment["url"]
    )

    # A mail client's link scanner GETs the link: a page, no change.
    for _ in range(2):
        status, html, headers = fetch(links["keep-1h"])
        assert status == 200 and "dev-alice" in html and "method='post'" in html
        assert headers["Cache-Control"] == "no-store"
    assert fetch(links["keep-1h"], method="HEAD")[0] == 405
    assert OVERRIDE not in tags_of(ec2, box)

    status, html, _ = fetch(links["keep-1h"], "POST", b"confirm=yes")
    assert status == 200 and "Kept running" in html
    until = stop + timedelta(hours=1)
    assert tags_of(ec2, box)[OVERRIDE] == f"running-until-{until:%Y%m%dt%H%M}z"
    [row] = [r for r in ledger_rows(deployment["moto"]) if r["ResourceId"] == box]
    assert row["x_Action"] == "snooze" and row["x_Detail"] == "requested by alice@example.com"

    status, html, _ = fetch(links["keep-1h"], "POST", b"confirm=yes")
    assert status == 409 and "already used" in html
    assert len([r for r in ledger_rows(deployment["moto"]) if r["ResourceId"] == box]) == 1

    decisions = next_run(deployment["moto"], now + timedelta(minutes=15), capsys)
    assert decisions[box]["action"] == "skip" and "override" in decisions[box]["reason"]
    assert decisions[control]["action"] == "stop"
    assert state_of(ec2, box) == "running" and state_of(ec2, control) == "stopped"


def test_the_key_can_live_in_an_ssm_securestring(deployment: dict[str, Any]) -> None:
    import boto3

    from providers.aws.secrets import SecretError, read_key

    ssm = boto3.client("ssm", region_name="eu-west-1", endpoint_url=deployment["moto"])
    ssm.put_parameter(Name="/offhours/snooze-key", Value="s" * 40, Type="SecureString")
    assert read_key("ssm:/offhours/snooze-key", ssm) == b"s" * 40
    ssm.put_parameter(Name="/offhours/short", Value="short", Type="SecureString")
    with pytest.raises(SecretError, match="shorter than 32"):
        read_key("ssm:/offhours/short", ssm)
    with pytest.raises(SecretError, match="cannot read"):
        read_key("offhours/missing", deployment["secretsmanager"])


def _signed_payload(payload: str) -> str:
    import base64
    import hashlib
    import hmac

    mac = hmac.new(KEY, payload.encode(), hashlib.sha256).digest()
    encode = base64.urlsafe_b64encode
    return f"{encode(payload.encode()).rstrip(b'=').decode()}.{encode(mac).rstrip(b'=').decode()}"


def test_signed_tokens_with_loose_fields_are_a_400_never_a_500(
    deployment: dict[str, Any],
) -> None:
    """Issue 22: a correctly signed ``exp`` of ``1e400`` or ``10**30`` was an uncaught
    OverflowError behind the function URL; ``v: true`` passed; a nonce ``../../x``
    became an object key. Each is now a 400 page, and nothing is tagged or recorded."""
    from urllib.parse import quote

    ec2 = deployment["ec2"]
    box = launch_box(ec2, "dev-carol", {"schedule": "office-hours"})
    base = (
        '{"a":"123456789012","act":"keep-1h","c":"aws","id":"%s","k":"ec2","n":%s,'
        '"r":"eu-west-1","stop":%s,"exp":%s,"to":"","v":%s}'
    )
    good_nonce, stop = '"n0nce-0123456789abcdef"', str(int(datetime.now(UTC).timestamp()))
    cases = [
        (good_nonce, stop, "1e400", "1"),
        (good_nonce, stop, str(10**30), "1"),
        (good_nonce, stop, str(int(stop) + 3600), "true"),
        (good_nonce, stop, str(int(stop) + 3600), "1.0"),
        ('"../../x"', stop, str(int(stop) + 3600), "1"),
    ]
    for nonce, stop_at, exp, version in cases:
        token = _signed_payload(base % (box, nonce, stop_at, exp, version))
        url = f"{deployment['url']}/?r=ec2:{box}&t={quote(token)}"
        for method, form in (("GET", None), ("POST", b"confirm=yes")):
            status, html, _ = fetch(url, method, form)
            assert status == 400, (exp, version, nonce, status, html[:300])
    assert OVERRIDE not in tags_of(ec2, box)
    assert [r for r in ledger_rows(deployment["moto"]) if r["ResourceId"] == box] == []


class RingClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fresh_service(deployment: dict[str, Any]) -> Iterator[Any]:
    """The warm function's service, built anew for the test and dropped after it (the
    secret put back), so a rotated or broken key stays in this test."""
    from functions.clouds import aws_snooze

    aws_snooze._services.clear()
    yield aws_snooze
    deployment["secretsmanager"].put_secret_value(SecretId=SECRET, SecretString=KEY.decode())
    aws_snooze._services.clear()


def test_a_rotated_key_is_honoured_while_warm_and_old_links_end_after_the_grace(
    deployment: dict[str, Any], fresh_service: Any
) -> None:
    """Issue 22: while the function was warm, old-key links kept working and new-key
    links got 403 until a cold start. Secrets Manager ``PutSecretValue`` rotates."""
    import os

    from functions.jobs.snooze.keyring import GRACE

    ec2 = deployment["ec2"]
    box = launch_box(ec2, "dev-dora", {"schedule": "office-hours"})
    stop = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    res = resource("ec2", box)
    old = links_for(res, stop, base=deployment["url"])
    assert fetch(old["keep-1h"])[0] == 200  # warm: the key is read and kept
    ring = fresh_service.service_for_env(os.environ, ACCOUNT).key
    clock = RingClock()
    ring.clock = clock
    new_key = b"rotated-snooze-key-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    deployment["secretsmanager"].put_secret_value(SecretId=SECRET, SecretString=new_key.decode())
    clock.now += 60
    new = links_for(res, stop, base=deployment["url"], key=new_key)
    assert fetch(new["keep-1h"])[0] == 200  # at once, no cold start
    assert fetch(old["keep-2h"])[0] == 200  # signed just before: the grace
    clock.now += GRACE
    status, html, _ = fetch(old["keep-2h"], "POST", b"confirm=yes")
    assert status == 403 and "signature does not match" in html
    assert OVERRIDE not in tags_of(ec2, box)
    status, _, _ = fetch(new["keep-2h"], "POST", b"confirm=yes")
    assert status == 200
    assert tags_of(ec2, box)[OVERRIDE] == f"running-until-{stop + timedelta(hours=2):%Y%m%dt%H%M}z"


@pytest.mark.parametrize("value", [" " * 32, "short", "x" * 40, None])
def test_a_key_that_cannot_be_used_is_a_clean_503_page_and_a_log_line(
    deployment: dict[str, Any],
    fresh_service: Any,
    value: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 22: a secret of 32 spaces was accepted; a key shorter than 32 bytes escaped
    the Lambda handler as ``SecretError`` (no page at all). ``None``: the secret is gone."""
    secrets = deployment["secretsmanager"]
    if value is None:
        secrets.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    else:
        secrets.put_secret_value(SecretId=SECRET, SecretString=value)
    box = launch_box(deployment["ec2"], "dev-erin", {"schedule": "office-hours"})
    stop = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    url = links_for(resource("ec2", box), stop, base=deployment["url"])["keep-1h"]
    product = logging.getLogger("offhours")  # the command line stops it propagating
    product.addHandler(caplog.handler)
    try:
        with caplog.at_level("ERROR", logger="offhours.snooze"):
            status, html, headers = fetch(url, "POST", b"confirm=yes")
        assert status == 503 and "signing key could not be read" in html
        assert headers["Cache-Control"] == "no-store"
        assert any("snooze key unavailable" in r.getMessage() for r in caplog.records)
        assert OVERRIDE not in tags_of(deployment["ec2"], box)
    finally:
        product.removeHandler(caplog.handler)
        if value is None:
            secrets.create_secret(Name=SECRET, SecretString=KEY.decode())


def test_an_opted_out_box_is_refused_over_http_and_stays_opted_out(
    deployment: dict[str, Any], capsys: Any
) -> None:
    """Issue 22: a snooze replaced ``opt-out`` with ``running-until-…``; when that ended
    the scheduler stopped a box its owner had opted out. Over the function URL the link
    is a 409 that says how to opt back in; the tag stays and the next run leaves it be."""
    ec2 = deployment["ec2"]
    box = launch_box(ec2, "dev-opted", {"schedule": "always-off", OVERRIDE: "opt-out"})
    now = datetime.now(UTC)
    stop = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    links = links_for(resource("ec2", box), stop, base=deployment["url"])
    for name in ("keep-1h", "skip-tonight"):
        status, html, _ = fetch(links[name], "POST", b"confirm=yes")
        assert status == 409 and "opted out" in html and "remove the schedule-override" in html
    assert tags_of(ec2, box)[OVERRIDE] == "opt-out"
    assert [r for r in ledger_rows(deployment["moto"]) if r["ResourceId"] == box] == []
    decisions = next_run(deployment["moto"], now + timedelta(days=2), capsys)
    assert decisions[box]["action"] == "skip" and state_of(ec2, box) == "running"
