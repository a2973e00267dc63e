"""One protected-tag policy: keys case-insensitive, values trimmed and case-insensitive,
the same set in the planner, the opportunities and the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import schedules
from functions.jobs.digest import DigestError, DigestSettings, Window, compose
from functions.jobs.planner import Policy, plan
from functions.settings import ConfigError, Settings
from ledger.inventory import find_opportunities
from providers.base import Action, Price, Resource, ResourceState
from providers.store import LocalStore
from schedules.protected import DEFAULT, ProtectedTags, ProtectedTagsError

MONDAY_NIGHT = datetime(2026, 11, 23, 22, tzinfo=UTC)
CATALOG = schedules.load_catalog()


def box(name: str, tags: dict[str, str]) -> Resource:
    return Resource(
        provider="aws",
        account="111111111111",
        region="eu-west-1",
        kind="ec2",
        id=f"i-{name}",
        name=name,
        tags=tags,
        state=ResourceState.RUNNING,
        size="m5.large",
        price=Price(0.1, "USD", "bundled:t"),
    )


@pytest.mark.parametrize(
    "tags",
    [
        {"Environment": "prod"},
        {"environment": "prod "},
        {"ENV": "Production"},
        {"stage": " PROD"},
        {"env": "production"},
    ],
)
def test_the_default_set_protects_every_spelling(tags: dict[str, str]) -> None:
    assert DEFAULT.match(tags) == next(iter(tags.items()))


# Issue 22: spellings a person reads as "prod" were not protected.
LOOKS_PROTECTED = [
    {"environment": "pro\u200bd"},  # zero-width space
    {"environment": "\u2060prod\ufeff"},  # word joiner, byte-order mark
    {"environment": "pr\u043ed"},  # Cyrillic о
    {"environment": "\u0440rod"},  # Cyrillic р
    {"environment": "\uff50\uff52\uff4f\uff44"},  # fullwidth ｐｒｏｄ
    {"environment": "prod\u00a0"},  # no-break space
    {"envi\u200cronment": "production"},  # an invisible character in the key
    {"\u0435nvironment": "prod"},  # Cyrillic е in the key
    {"environment": "\u202eprod"},  # a right-to-left override
]


@pytest.mark.parametrize("tags", LOOKS_PROTECTED)
def test_a_value_that_reads_as_protected_is_protected(tags: dict[str, str]) -> None:
    assert DEFAULT.match(tags) == next(iter(tags.items()))
    [decision] = plan([box("x", {"schedule": "office-hours", **tags})], MONDAY_NIGHT, None,
                      CATALOG, Policy())  # fmt: skip
    assert decision.action is Action.SKIP and "protected" in decision.reason


@pytest.mark.parametrize(
    "tags",
    [{"environment": "dev"}, {"envs": "prod"}, {"environment": "pre-prod"}, {"owner": "prod"}, {}],
)
def test_other_tags_are_not_protected(tags: dict[str, str]) -> None:
    assert DEFAULT.match(tags) is None and DEFAULT.reason(tags) == ""


def test_the_text_form_shares_values_between_keys_and_merges_rules() -> None:
    parsed = ProtectedTags.parse(" Environment|ENV = Prod|production , tier=critical,env=live,")
    assert parsed.rules == {
        "env": frozenset({"prod", "production", "live"}),
        "environment": frozenset({"prod", "production"}),
        "tier": frozenset({"critical"}),
    }
    assert str(parsed) == "env=live|prod|production,environment=prod|production,tier=critical"
    assert ProtectedTags.parse(str(parsed)) == parsed
    assert ProtectedTags.parse("environment|env|stage=prod|production") == DEFAULT


@pytest.mark.parametrize("text", ["environment", "=prod", "environment=", "|=|", "env=|"])
def test_a_malformed_rule_is_refused_with_the_valid_form(text: str) -> None:
    with pytest.raises(ProtectedTagsError, match=r"KEY\[\|KEY\.\.\.\]=VALUE"):
        ProtectedTags.parse(text)


def test_settings_parse_the_set_and_name_the_setting() -> None:
    assert Settings().protected_tags() == DEFAULT
    assert Settings.from_sources({}, {"OFFHOURS_PROTECTED": ""}).protected_tags() == DEFAULT
    custom = Settings.from_sources({"protected": "tier=critical"}, {})
    assert custom.policy().protected == ProtectedTags.of({"tier": ["critical"]})
    with pytest.raises(ConfigError, match=r"^protected: 'tier' is not KEY"):
        Settings.from_sources({"protected": "tier"}, {})


def test_the_planner_skips_a_protected_box_whatever_the_spelling() -> None:
    boxes = [
        box("a", {"schedule": "office-hours", "Environment": "Prod "}),
        box("b", {"schedule": "office-hours", "ENV": "production"}),
        box("c", {"schedule": "office-hours", "environment": "dev"}),
    ]
    decisions = {d.resource.name: d for d in plan(boxes, MONDAY_NIGHT, None, CATALOG, Policy())}
    assert decisions["a"].action is Action.SKIP
    assert decisions["a"].reason == "protected: Environment=Prod "
    assert decisions["b"].reason == "protected: ENV=production"
    assert decisions["c"].action is Action.STOP


def test_the_planner_follows_a_configured_set() -> None:
    policy = Settings.from_sources({"protected": "Tier=Critical"}, {}).policy()
    boxes = [
        box("a", {"schedule": "office-hours", "tier": "critical"}),
        box("b", {"schedule": "office-hours", "environment": "prod"}),
    ]
    actions = {d.resource.name: d.action for d in plan(boxes, MONDAY_NIGHT, None, CATALOG, policy)}
    assert actions == {"a": Action.SKIP, "b": Action.STOP}


def test_opportunities_leave_protected_resources_out_with_the_same_rules() -> None:
    resources = [box("dev-a", {"ENV": "Prod"}), box("dev-b", {}), box("dev-c", {"tier": "gold"})]
    assert [o.resource.name for o in find_opportunities(resources, 55.0)] == ["dev-b", "dev-c"]
    gold = ProtectedTags.parse("tier=gold")
    found = find_opportunities(resources, 55.0, protected=gold)
    assert [o.resource.name for o in found] == ["dev-a", "dev-b"]


def test_the_digest_honours_the_scheduler_setting(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    end = MONDAY_NIGHT + timedelta(days=7)
    window = Window(MONDAY_NIGHT, end, "UTC", end)
    resources = [box("dev-a", {"tier": "gold"}), box("dev-b", {"environment": "prod"})]

    def offered(settings: DigestSettings) -> list[str]:
        digest = compose(store, window, settings, inventory=resources)
        return [o.resource.name for o in digest.overall.report.opportunities]

    assert offered(DigestSettings()) == ["dev-a"]
    from_env = DigestSettings.from_sources({}, {"OFFHOURS_PROTECTED": "tier=gold"})
    assert offered(from_env) == ["dev-b"]
    with pytest.raises(DigestError, match="protected"):
        DigestSettings.from_sources({"protected": "tier"}, {})
