"""The deploy guides exist, go from build to dry run to acting, and only name parameters
and inputs that exist."""

from __future__ import annotations

import re

import pytest
from infra_kit import ROOT, TEMPLATE, blocks, load_cfn, load_hcl

DOCS = ROOT / "docs"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_guide_walks_from_build_to_acting(cloud: str) -> None:
    text = (DOCS / f"deploy-{cloud}.md").read_text()
    assert f"python infra/package.py {cloud}" in text
    assert "Read the first plan" in text
    assert "Switch to acting" in text
    assert re.search(r"DryRun=false|dry_run = false", text)
    assert f"infra/terraform/{cloud}" in text


def test_aws_guide_names_real_parameters() -> None:
    text = (DOCS / "deploy-aws.md").read_text()
    parameters = set(load_cfn(TEMPLATE)["Parameters"])
    named = set(re.findall(r"\b([A-Z][A-Za-z]+)=", text)) - {"ParameterKey", "ParameterValue"}
    named -= {"Enabled", "RetainStacksOnAccountRemoval", "OrganizationalUnitIds"}
    assert named <= parameters, sorted(named - parameters)
    in_table = set(re.findall(r"^\| `([A-Za-z]+)`", text, flags=re.M))
    assert in_table <= parameters, sorted(in_table - parameters)


@pytest.mark.parametrize("cloud", ["gcp", "azure"])
def test_guides_name_real_inputs(cloud: str) -> None:
    text = (DOCS / f"deploy-{cloud}.md").read_text()
    inputs = {
        n for n, _ in blocks(load_hcl(ROOT / f"infra/terraform/{cloud}/variables.tf"), "variable")
    }
    named = set(re.findall(r"`([a-z_]+) = ", text)) | set(re.findall(r"set `([a-z_]+)`", text))
    assert named <= inputs, sorted(named - inputs)
