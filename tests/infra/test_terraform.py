"""Terraform modules, read with python-hcl2 (no terraform binary here): variables typed and
described and used, referenced files present, no secrets in defaults, providers pinned,
READMEs in step with the variables and outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from infra_kit import MODULES, ROOT, STATE_MACHINE, TERRAFORM, blocks, load_hcl, module_files

from functions.jobs.own_cost import ITEMS_PER_BATCH

SECRETISH = re.compile(r"(password|secret|token|access_key|private_key|connection_string)", re.I)
SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|-----BEGIN|AccountKey=|sig=|[A-Za-z0-9+/]{40,}={0,2})"
)
FILE_CALL = re.compile(
    r'(?:file|templatefile|filemd5|filebase64sha256)\("\$\{path\.module\}/([^"]+)"'
)


def all_tf_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


def variables(module: str) -> dict[str, dict]:
    return dict(blocks(load_hcl(TERRAFORM / module / "variables.tf"), "variable"))


def outputs(module: str) -> dict[str, dict]:
    return dict(blocks(load_hcl(TERRAFORM / module / "outputs.tf"), "output"))


@pytest.mark.parametrize("path", all_tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_parses(path: Path) -> None:
    assert load_hcl(path) is not None


@pytest.mark.parametrize("module", MODULES)
def test_variables_are_typed_described_and_used(module: str) -> None:
    used = "\n".join(p.read_text() for p in module_files(module) if p.name != "variables.tf")
    for name, spec in variables(module).items():
        assert spec.get("description", "").strip(), f"{module}: variable {name} has no description"
        assert "type" in spec, f"{module}: variable {name} has no type"
        assert re.search(rf"\bvar\.{name}\b", used), f"{module}: variable {name} is never used"


@pytest.mark.parametrize("module", MODULES)
def test_no_secrets_in_defaults(module: str) -> None:
    for name, spec in variables(module).items():
        default = spec.get("default")
        text = "" if default is None else str(default)
        assert not SECRET_VALUE.search(text), f"{module}: {name} default looks like a secret"
        if SECRETISH.search(name):
            assert text in ("", "None"), f"{module}: {name} must not have a default"
            assert spec.get("sensitive") is True, f"{module}: {name} must be sensitive"


@pytest.mark.parametrize("path", all_tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_referenced_files_exist(path: Path) -> None:
    for rel in FILE_CALL.findall(path.read_text()):
        target = (path.parent / rel).resolve()
        if not target.exists() and target.is_relative_to(ROOT / "infra") and "terraform" not in rel:
            pytest.fail(f"{target.relative_to(ROOT)} is missing")
        assert target.exists(), f"{path.relative_to(ROOT)} reads missing {rel}"


@pytest.mark.parametrize(
    "path",
    [TERRAFORM / m / "versions.tf" for m in MODULES]
    + sorted(TERRAFORM.glob("*/examples/*/main.tf")),
    ids=lambda p: str(p.relative_to(TERRAFORM)),
)
def test_provider_versions_are_pinned(path: Path) -> None:
    (terraform,) = load_hcl(path)["terraform"]
    assert terraform["required_version"].startswith(">=")
    providers = {k: v for entry in terraform["required_providers"] for k, v in entry.items()}
    assert providers
    for name, spec in providers.items():
        version = spec["version"]
        bounded = ("<" in version and ">=" in version) or version.startswith("~>")
        assert bounded, f"{path.relative_to(ROOT)}: {name} version {version!r} has no upper bound"


@pytest.mark.parametrize("module", MODULES)
def test_outputs_are_described(module: str) -> None:
    for name, spec in outputs(module).items():
        assert spec.get("description", "").strip(), f"{module}: output {name} has no description"


@pytest.mark.parametrize("module", MODULES)
def test_readme_lists_inputs_and_outputs(module: str) -> None:
    readme = (TERRAFORM / module / "README.md").read_text()
    for name in variables(module):
        assert f"`{name}`" in readme, f"{module}/README.md does not list input {name}"
    for name in outputs(module):
        assert f"`{name}`" in readme, f"{module}/README.md does not list output {name}"
    assert "examples/basic" in readme


@pytest.mark.parametrize("module", MODULES)
def test_example_passes_only_known_inputs(module: str) -> None:
    example = load_hcl(TERRAFORM / module / "examples" / "basic" / "main.tf")
    known = set(variables(module))
    for _, call in blocks(example, "module"):
        assert call["source"] == "../.."
        given = {
            k for k in call if k not in ("source", "providers", "__start_line__", "__end_line__")
        }
        assert given <= known, sorted(given - known)
        required = {n for n, s in variables(module).items() if "default" not in s}
        assert required <= given, sorted(required - given)


def test_gcp_role_is_read_from_the_role_file() -> None:
    role_path = ROOT / "infra/gcp/offhours-role.yaml"
    if not role_path.exists():
        pytest.fail("infra/gcp/offhours-role.yaml is missing")
    import yaml

    role = yaml.safe_load(role_path.read_text())
    assert role["includedPermissions"] and role["title"]
    assert (
        'yamldecode(file("${path.module}/../../gcp/offhours-role.yaml"))'
        in (TERRAFORM / "gcp" / "main.tf").read_text()
    )


def test_azure_role_is_read_from_the_role_file() -> None:
    role_path = ROOT / "infra/azure/offhours-role.json"
    if not role_path.exists():
        pytest.fail("infra/azure/offhours-role.json is missing")
    import json

    role = json.loads(role_path.read_text())
    assert role["Actions"] and role["Name"]
    main = (TERRAFORM / "azure" / "main.tf").read_text()
    assert 'jsondecode(file("${path.module}/../../azure/offhours-role.json"))' in main
    assert "azurerm_role_assignment" in main and "/subscriptions/" in main


def test_azure_action_scopes_grant_the_changes_on_resource_groups_only() -> None:
    """Without action_scopes: the whole role on each subscription. With them: the reads
    on each subscription and the rest of the role file on those resource groups only."""
    import json

    from infra_kit import load_hcl

    main = load_hcl(TERRAFORM / "azure" / "main.tf")
    locals_ = {k: v for entry in main["locals"] for k, v in entry.items()}
    resources = {
        (kind, name): body
        for entry in main["resource"]
        for kind, named in entry.items()
        for name, body in named.items()
    }
    assert locals_["scoped_changes"] == "${length(var.action_scopes) > 0}"
    reads = 'for a in local.role_file.Actions : a if endswith(lower(a), "/read")'
    changes = 'for a in local.role_file.Actions : a if !endswith(lower(a), "/read")'
    assert reads in locals_["read_actions"] and changes in locals_["change_actions"]
    whole = resources[("azurerm_role_definition", "offhours")]["permissions"][0]["actions"]
    assert whole == "${local.scoped_changes ? local.read_actions : local.role_file.Actions}"
    part = resources[("azurerm_role_definition", "offhours_changes")]
    assert part["permissions"][0]["actions"] == "${local.change_actions}"
    scoped = resources[("azurerm_role_assignment", "offhours_changes")]
    assert scoped["for_each"] == "${local.scoped_changes ? toset(var.action_scopes) : toset([])}"
    everywhere = resources[("azurerm_role_assignment", "offhours")]
    assert everywhere["for_each"] == "${toset(local.scopes)}"
    # The split loses nothing: every action of the role file is a read or a change.
    actions = json.loads((ROOT / "infra/azure/offhours-role.json").read_text())["Actions"]
    writes = [a for a in actions if not a.lower().endswith("/read")]
    assert writes and len(writes) < len(actions)
    assert "Microsoft.Compute/virtualMachineScaleSets/write" in writes


def test_state_machine_template_gets_every_placeholder_and_the_batch_size() -> None:
    """templatefile() fills every ``${Name}`` of the shared ASL, the batch size included,
    and the module's default batch is the one docs/own-cost.md prices."""
    placeholders = set(re.findall(r"\$\{(\w+)\}", STATE_MACHINE.read_text()))
    text = (TERRAFORM / "aws" / "functions.tf").read_text()
    call = text[text.index('templatefile("${path.module}/../../aws/state-machine.asl.json"') :]
    given = set(re.findall(r"^\s+(\w+)\s+=", call[: call.index("})")], re.M))
    assert given == placeholders
    assert "MapMaxItemsPerBatch  = var.map_max_items_per_batch" in call
    assert variables("aws")["map_max_items_per_batch"]["default"] == ITEMS_PER_BATCH
