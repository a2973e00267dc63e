"""Every OFFHOURS_* variable a template or module sets is a setting the code reads, and a
default deployment's environment parses into Settings."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest
from infra_kit import ROOT, TEMPLATE, Resolver, blocks, load_cfn, load_hcl

from functions.settings import DIGEST_PREFIX, MAIL_SETTINGS, Settings, setting_names
from schedules.protected import DEFAULT as DEFAULT_PROTECTED

FULL = {"SenderEmail": "offhours@example.com", "DigestRecipients": "finops@example.com"}


def sam_environments() -> dict[str, dict[str, str]]:
    resolved = Resolver(load_cfn(TEMPLATE), FULL).resources()
    return {
        name: r["Properties"]["Environment"]["Variables"]
        for name, r in resolved.items()
        if r["Type"] == "AWS::Serverless::Function"
    }


def terraform_environments() -> dict[str, set[str]]:
    """Module -> names of the environment variables / app settings it sets."""
    found: dict[str, set[str]] = {}
    wanted = {
        "aws": ("scheduler_env", "digest_env", "snooze_env"),
        "gcp": ("env", "snooze_env"),
        "azure": ("app_settings",),
    }
    for module, names in wanted.items():
        for path in sorted((ROOT / "infra" / "terraform" / module).glob("*.tf")):
            for name, value in blocks(load_hcl(path), "locals"):
                if name in names:
                    found.setdefault(module, set()).update(value)
    return found


def known_names() -> set[str]:
    names = {"OFFHOURS_" + name.upper() for name in setting_names()}
    names.add("OFFHOURS_CONFIG")
    try:
        from functions.jobs.digest import DigestSettings

        names |= {
            DIGEST_PREFIX + f.name.upper()
            for f in fields(DigestSettings)
            if f.name not in MAIL_SETTINGS  # the run's OFFHOURS_SMTP_* only
        }
    except ImportError:
        pass
    # Read by an entry point itself (timer binding expressions, time budgets).
    for path in (ROOT / "functions").rglob("*.py"):
        names |= set(re.findall(r"OFFHOURS_[A-Z_]+", path.read_text()))
    return names


def test_sam_sets_only_real_settings() -> None:
    known = known_names()
    for function, env in sam_environments().items():
        unknown = sorted(k for k in env if k.startswith("OFFHOURS_") and k not in known)
        assert not unknown, f"{function} sets variables nothing reads: {unknown}"


@pytest.mark.parametrize("module", ["aws", "gcp", "azure"])
def test_terraform_sets_only_real_settings(module: str) -> None:
    names = terraform_environments()[module]
    unknown = sorted(k for k in names if k.startswith("OFFHOURS_") and k not in known_names())
    assert not unknown, f"infra/terraform/{module} sets variables nothing reads: {unknown}"


def test_sam_and_terraform_set_the_same_aws_variables() -> None:
    sam = set().union(*(set(env) for env in sam_environments().values()))
    assert sam == terraform_environments()["aws"]


def test_default_deployment_parses() -> None:
    env = sam_environments()["SchedulerFunction"]
    settings = Settings.from_sources({}, {k: str(v) for k, v in env.items()})
    assert settings.dry_run is True
    assert settings.providers == ("aws",)
    assert settings.ledger.startswith("s3://") and settings.ledger.endswith("/offhours")
    assert settings.provider_config("aws").regions == ("eu-west-1",)
    assert settings.protected_tags() == DEFAULT_PROTECTED


def test_digest_environment_parses() -> None:
    digest = pytest.importorskip("functions.jobs.digest")
    env = sam_environments()["DigestFunction"]
    settings = digest.DigestSettings.from_sources({}, {k: str(v) for k, v in env.items()})
    assert settings.to == ("finops@example.com",)
    assert settings.sender == "offhours@example.com"
    assert settings.transport == "ses"
