"""What a scheduled run imports: what it uses, and nothing else.

A fresh interpreter imports the Lambda handler and makes its first call against moto
(an acting run that stops one instance), as ``infra/package.py aws --measure`` does; the
test then reads which modules are loaded. It asserts that outcome, never a time: how
fast the import is, is measured by ``--measure``.

Left out of a run that does not use them: holidays and croniter (no schedule here has
holidays or cron), the digest, snooze and the sending half of notices (none configured),
display libraries, the ledger's rebuild (the state is intact), and the other clouds'
SDKs and adapters (the development environment has them all installed, so an import
would show).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from runtime_kit import load_packager

from sandbox.moto_server import moto_server

NEVER_ON_THE_SCHEDULER = (
    # the digest, snooze and what sends notices: their own jobs
    "functions.jobs.digest",
    "functions.cli.digest",
    "functions.jobs.digest_names",
    "functions.jobs.digest_schedules",
    "functions.jobs.snooze",
    "functions.clouds.aws_snooze",
    "functions.jobs.notices.send",
    "functions.jobs.notices.render",
    "functions.jobs.notices.signing",
    "functions.mail",
    # display and rendering
    "functions.cli.display",
    "functions.cli.main",
    "rich",
    "jinja2",
    "markdown",
    "tabulate",
    "matplotlib",
    "PIL",
    # other clouds
    "providers.gcp",
    "providers.azure",
    "google.auth",
    "google.api_core",
    "google.cloud.compute_v1",
    "google.cloud.storage",
    "googleapiclient",
    "azure.core",
    "azure.identity",
    "azure.mgmt",
    "azure.storage",
    "azure.functions",
    # the test world itself
    "sandbox",
    "moto",
)
# Only for schedules that use them.
SCHEDULE_EXTRAS = ("holidays", "croniter")


def loaded(modules: Iterable[str], names: Iterable[str]) -> list[str]:
    """Which of ``names`` (a module or a package with its submodules) are in ``modules``."""
    found = set(modules)
    return sorted(n for n in names if n in found or any(m.startswith(n + ".") for m in found))


def fresh_import(module: str) -> list[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.split()


@pytest.fixture(scope="module")
def first_call(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    packager = load_packager()
    home = tmp_path_factory.mktemp("first-call")
    with moto_server() as url:
        packager.seed_first_call(url)
        env = packager.first_call_env(url, f"s3://{packager.FIRST_CALL_BUCKET}/offhours")
        env |= {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
        # The development environment's interpreter: its site-packages hold every
        # cloud's SDK, so what the handler must not import is there to be imported.
        result: dict[str, Any] = packager.run_first_call(sys.executable, env, str(home), ())
    assert "error" not in result, result.get("error")
    yield result


def test_the_first_call_acts(first_call: dict[str, Any]) -> None:
    assert first_call["answer"]["errors"] == []
    assert first_call["answer"]["actions"] == {"stop-done": 1}  # the protected box stays on
    assert "providers.aws.ec2" in first_call["modules"]


def test_the_first_call_imports_only_what_the_run_uses(first_call: dict[str, Any]) -> None:
    unused = NEVER_ON_THE_SCHEDULER + SCHEDULE_EXTRAS + ("ledger.rebuild",)  # no lost state
    assert loaded(_without_settings_classes(first_call["modules"]), unused) == []


def _without_settings_classes(modules: Iterable[str]) -> list[str]:
    """The other clouds' settings classes (``providers.SETTINGS``: dataclasses, no SDK) are
    read with every setting where this development tree carries them; a function package
    carries one cloud, so there they are absent. Nothing else of another cloud may load."""
    import providers

    allowed = {path.split(":")[0] for path in providers.SETTINGS.values()}
    allowed |= {name.rsplit(".", 1)[0] for name in allowed}
    return [m for m in modules if m not in allowed]


def test_the_handler_import_leaves_the_run_and_notices_for_the_call() -> None:
    modules = fresh_import("functions.clouds.aws_lambda")
    later = (
        "functions.jobs.notices",
        "providers.aws",
        "schedules.schema",
        "yaml",
        "botocore.client",
    )
    assert loaded(modules, NEVER_ON_THE_SCHEDULER + SCHEDULE_EXTRAS + later) == []


@pytest.mark.parametrize(
    ("entry", "platform", "foreign"),
    [
        ("functions.clouds.gcp_main", "json", ("boto3", "botocore", "azure.core", "providers.aws")),
        (
            "functions.clouds.azure_function_app",
            "azure.functions",
            ("boto3", "botocore", "google.auth", "providers.aws"),
        ),
    ],
)
def test_other_entry_points_import_no_other_cloud(
    entry: str, platform: str, foreign: tuple[str, ...]
) -> None:
    pytest.importorskip(platform)  # what the cloud's runtime provides
    modules = fresh_import(entry)
    assert loaded(modules, foreign + SCHEDULE_EXTRAS + ("rich", "jinja2", "matplotlib")) == []


def test_the_notices_package_still_exports_its_names() -> None:
    import functions.jobs.notices
    from functions.jobs.notices import LinkMaker, build_step
    from functions.jobs.notices.model import LinkMaker as model_link_maker

    assert LinkMaker is model_link_maker and callable(build_step)
    with pytest.raises(AttributeError):
        functions.jobs.notices.no_such_name  # noqa: B018
