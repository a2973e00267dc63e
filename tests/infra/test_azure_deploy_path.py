"""The Azure module deploys code the way Linux Consumption runs it.

A zip on Linux Consumption loads only from a URL (``WEBSITE_RUN_FROM_PACKAGE=<URL>``) or
with a remote build (``SCM_DO_BUILD_DURING_DEPLOYMENT``); ``zip_deploy_file`` without
either usually leaves an app that loads no functions. The package vendors its
dependencies, so the module runs it from a blob URL. Static (python-hcl2): the azurerm
provider cannot be downloaded here, so nothing is planned.
"""

from __future__ import annotations

from infra_kit import TERRAFORM, blocks, load_hcl


def resources() -> dict[str, dict[str, dict]]:
    found: dict[str, dict[str, dict]] = {}
    for kind, named in blocks(load_hcl(TERRAFORM / "azure" / "main.tf"), "resource"):
        found.setdefault(kind, {}).update(named)
    return found


def test_consumption_app_runs_from_a_package_url() -> None:
    app = resources()["azurerm_linux_function_app"]["offhours"]
    assert "zip_deploy_file" not in app
    settings = str(app["app_settings"])
    assert "WEBSITE_RUN_FROM_PACKAGE" in settings
    assert "azurerm_storage_blob.package[0].url" in settings
    assert "azurerm_storage_account_blob_container_sas.package[0].sas" in settings
    assert "SCM_DO_BUILD_DURING_DEPLOYMENT" not in settings  # dependencies are vendored


def test_package_blob_is_private_content_addressed_and_read_only() -> None:
    found = resources()
    container = found["azurerm_storage_container"]["packages"]
    assert container["container_access_type"] == "private"
    blob = found["azurerm_storage_blob"]["package"]
    assert "filesha256(var.package_path)" in blob["name"]
    assert blob["source"] == "${var.package_path}"
    main = load_hcl(TERRAFORM / "azure" / "main.tf")
    (sas,) = [
        named["package"]
        for kind, named in blocks(main, "data")
        if kind == "azurerm_storage_account_blob_container_sas"
    ]
    (permissions,) = sas["permissions"]
    assert {k for k, v in permissions.items() if v is True} == {"read"}
    assert sas["https_only"] is True
