"""The links callable the notices use: four links, one resource each, each its own token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from snooze_kit import KEY, query_of, resource

from functions.jobs.snooze.handler import resource_param
from functions.jobs.snooze.links import link_maker
from functions.jobs.snooze.pages import Facts, confirm
from functions.jobs.snooze.tokens import verify

STOP = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def test_four_labelled_links_each_with_its_own_nonce_and_the_owner() -> None:
    box = resource("ec2", "i-0abc", tags={"owner": "alice@example.com"})
    links = link_maker("https://snooze.example/", KEY)(box, STOP)
    assert [label for label, _ in links] == [
        "keep running 1 h",
        "keep running 2 h",
        "keep running until 08:00",
        "skip tonight's stop",
    ]
    tokens = [verify(query_of(url)["t"], KEY, STOP) for _, url in links]
    assert [t.action for t in tokens] == ["keep-1h", "keep-2h", "keep-until-08", "skip-tonight"]
    assert len({t.nonce for t in tokens}) == 4
    assert {(t.resource_id, t.recipient, t.expires) for t in tokens} == {
        ("i-0abc", "alice@example.com", STOP + timedelta(hours=12))
    }
    assert all(url.startswith("https://snooze.example/?") for _, url in links)
    assert {query_of(url)["r"] for _, url in links} == {resource_param("ec2", "i-0abc")}


def test_azure_ids_survive_the_url_and_pages_escape_what_they_show() -> None:
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v&m"
    (_, url), *_ = link_maker("https://x.example", KEY)(resource("vms", rid), STOP)
    assert query_of(url)["r"] == f"vms:{rid}"
    page = confirm(Facts("<script>x</script>", "vms", "azure", "keep-1h", STOP)).html()
    assert "<script>x" not in page and "&lt;script&gt;" in page
