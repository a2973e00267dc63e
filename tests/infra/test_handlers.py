"""Every handler any template names can be imported and called."""

from __future__ import annotations

import importlib

import pytest
from infra_kit import ROOT, TEMPLATE, blocks, load_cfn, load_hcl, module_files


def sam_handlers() -> set[str]:
    template = load_cfn(TEMPLATE)
    return {
        r["Properties"]["Handler"]
        for r in template["Resources"].values()
        if r["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }


def terraform_handlers() -> set[str]:
    found: set[str] = set()
    for path in module_files("aws"):
        for kind, named in blocks(load_hcl(path), "resource"):
            if kind == "aws_lambda_function":
                found.update(r["handler"] for r in named.values())
    gcp_vars = dict(blocks(load_hcl(ROOT / "infra/terraform/gcp/variables.tf"), "variable"))
    found.add(f"functions.clouds.gcp_main.{gcp_vars['entry_point']['default']}")
    return found


def test_templates_name_handlers() -> None:
    assert {
        "functions.clouds.aws_lambda.handler",
        "functions.clouds.aws_lambda.digest_handler",
    } <= sam_handlers()
    assert sam_handlers() <= terraform_handlers()


@pytest.mark.parametrize("handler", sorted(sam_handlers() | terraform_handlers()))
def test_handler_is_importable_and_callable(handler: str) -> None:
    module_name, _, attribute = handler.rpartition(".")
    if not (ROOT / (module_name.replace(".", "/") + ".py")).exists():
        pytest.fail(f"{module_name} is missing")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute)), handler


def test_azure_function_app_is_importable() -> None:
    if not (ROOT / "functions" / "clouds" / "azure_function_app.py").exists():
        pytest.fail("functions/clouds/azure_function_app.py is missing")
    pytest.importorskip("azure.functions", reason="azure-functions is not installed")
    module = importlib.import_module("functions.clouds.azure_function_app")
    assert module.app is not None  # the packed function_app.py re-exports `app`
