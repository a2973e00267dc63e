"""``--region`` alone is enough: without AWS_DEFAULT_REGION (or a profile), the
connection's own calls (STS, Organizations) go to the first region the run was given."""

from __future__ import annotations

from e2e_kit import REGION, Cli, World


def test_plan_with_only_the_region_flag(cli: Cli, world: World) -> None:
    done = cli("plan", "--region", REGION, "--ledger", str(cli.home / "ledger"),
               env={"AWS_DEFAULT_REGION": "", "AWS_REGION": ""})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "You must specify a region" not in done.stderr
    assert "dev-" in done.stdout or "i-" in done.stdout  # the fleet was planned
