"""Build each cloud's deployable function artefact with only that cloud's dependencies.

    python infra/package.py aws   [--out dist/]   # offhours-aws.zip + offhours-aws-digest.zip
    python infra/package.py gcp   [--out dist/]   # offhours-gcp.zip (source + requirements.txt)
    python infra/package.py azure [--out dist/]   # offhours-azure.zip (vendored dependencies)
    python infra/package.py aws --measure         # also time the handler's cold start
    python infra/package.py aws --arch x86_64     # for x86_64 Lambdas (default arm64)

What goes in:

* the project packages ``schedules providers ledger functions`` with their data files
  (catalog YAML, price tables, digest templates), without ``sandbox``, tests, caches, and
  without the other clouds' ``providers/<cloud>`` adapters;
* the base dependencies from pyproject.toml (croniter, holidays, PyYAML, tzdata) plus the
  cloud's extra. AWS leaves out boto3/botocore (the Lambda runtime has them). The AWS
  digest function gets a second zip that adds the ``digest`` extra (Jinja2), so the
  scheduler stays small.

AWS dependencies are downloaded as wheels for the Lambda (``--platform
manylinux2014_aarch64 --only-binary=:all: --python-version 3.12``, or
``manylinux2014_x86_64`` with ``--arch x86_64``), whatever machine builds. The runtime
smoke tests (tests/runtime) build the x86_64 zip, which this machine can run. If a
dependency has no wheel for that platform pip fails, and the build falls back
to the host platform for that build: correct only for pure-Python packages, so the script
then lists every compiled extension it packed and warns. Bytecode for the target Python is
compiled into the zip (``unchecked-hash``, so it stays valid after unzipping) when a
matching interpreter is on the machine, because Lambda's /var/task is read-only and would
otherwise recompile every module on every cold start.

GCP builds from source on deploy (Cloud Build installs requirements.txt), so its zip holds
the source, a ``main.py`` that re-exports ``functions.clouds.gcp_main`` and a requirements.txt.
Azure's zip is deployed as is (run from package): dependencies are vendored under
``.python_packages/lib/site-packages`` for Linux x86_64, with ``function_app.py`` and
``host.json`` at the root.

``--measure`` installs a host-platform twin of the artefact (same packages, host wheels:
an aarch64 build cannot run here) and, in fresh ``-S`` interpreters of the target
version, times ``import <handler module>``, then the import of every module its first
call loads, and (AWS, when moto is installed) the first call itself: one scheduler
event against a local moto server, acting on a small fleet. Each figure is wall and CPU
time, best and median of several processes, printed with the load average: on a shared
machine the wall time is mostly waiting for a core, and CPU time is the steadier figure.
``-X importtime`` gives the heaviest imports.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("schedules", "providers", "ledger", "functions")
CLOUDS = ("aws", "gcp", "azure")
DATA_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".csv", ".j2", ".html", ".txt")
# Provided by the Lambda Python runtime; never shipped in the AWS zip.
AWS_RUNTIME_PROVIDED = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "urllib3",
    "python-dateutil",
    "six",
)
# Reproducible zips: fixed timestamps and permissions.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
# Pinned, hashed dependencies of the artefacts that install them from a requirements file
# (GCP: Cloud Build installs requirements.txt; Azure: vendored into the zip), written by
# ``--lock`` from pyproject.toml for the target platform, so each deploy installs exactly
# what the tests ran.
LOCKS = ROOT / "infra" / "locks"
# GCP: the wheels pip picks on the python312 build image (Ubuntu 22.04, glibc 2.35), so the
# hashes match what Cloud Build downloads; Azure: the platform the zip is vendored for.
# (every manylinux tag glibc 2.35 accepts, most specific first, the order pip prefers).
GLIBC_2_35 = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(35, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)
LOCK_PLATFORMS = {"gcp": GLIBC_2_35, "azure": ("manylinux2014_x86_64",)}
# Lambda architecture -> the wheel platform its zip is built for.
LAMBDA_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


@dataclass(frozen=True)
class Artefact:
    name: str  # zip file name, without .zip
    cloud: str
    requirements: tuple[str, ...]
    handler_module: str
    vendor: bool  # install dependencies into the zip
    platform: str = ""  # pip --platform for vendored wheels
    site_dir: str = ""  # where vendored packages go inside the zip
    extra_files: dict[str, str] = field(default_factory=dict)  # zip path -> text
    lock: Path | None = None  # install from this hashed lock instead of the ranges


class BuildError(RuntimeError):
    """The artefact could not be built; the message says why."""


def pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def requirement_name(spec: str) -> str:
    return re.split(r"[\s<>=!~\[;]", spec, maxsplit=1)[0].lower().replace("_", "-")


def requirements_for(cloud: str, with_digest: bool = False) -> tuple[str, ...]:
    project = pyproject()
    extras = project["optional-dependencies"]
    specs = list(project["dependencies"]) + list(extras[cloud])
    if with_digest:
        specs += list(extras["digest"])
    if cloud == "aws":
        specs = [s for s in specs if requirement_name(s) not in AWS_RUNTIME_PROVIDED]
    return tuple(specs)


def lock_inputs(cloud: str) -> list[str]:
    """The requirement ranges a cloud's lock resolves (what its requirements.txt names)."""
    if cloud == "gcp":
        return ["functions-framework>=3,<4", *requirements_for("gcp")]
    if cloud == "azure":
        return [*requirements_for("azure", with_digest=True), "azure-functions>=1.20"]
    raise BuildError(f"no lock for {cloud!r} (locked: {', '.join(LOCK_PLATFORMS)})")


def read_lock(cloud: str) -> str:
    path = LOCKS / f"{cloud}.txt"
    return path.read_text() if path.exists() else ""


def write_lock(cloud: str, python_version: str) -> Path:
    """Resolve the cloud's ranges for its platform and write them pinned, with hashes."""
    inputs = lock_inputs(cloud)
    with tempfile.TemporaryDirectory(prefix="offhours-lock-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet"]
        command += ["--disable-pip-version-check", "--ignore-installed", "--report", str(report)]
        command += ["--target", str(Path(tmp) / "target")]
        command += [arg for tag in LOCK_PLATFORMS[cloud] for arg in ("--platform", tag)]
        command += ["--only-binary=:all:", "--python-version", python_version]
        command += ["--implementation", "cp", *inputs]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(f"cannot resolve the {cloud} lock:\n{done.stderr}")
        resolved = json.loads(report.read_text())["install"]
    lines = [
        f"# offhours {cloud} dependencies for {LOCK_PLATFORMS[cloud][0]} and older tags, "
        f"Python {python_version}:",
        f"# generated by `python infra/package.py {cloud} --lock` from pyproject.toml. Do not",
        "# edit: change the ranges in pyproject.toml and regenerate.",
    ]
    for item in sorted(resolved, key=lambda i: str(i["metadata"]["name"]).lower()):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        digest = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{requirement_name(name)}=={version} \\\n    --hash=sha256:{digest}")
    LOCKS.mkdir(parents=True, exist_ok=True)
    path = LOCKS / f"{cloud}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def artefacts(cloud: str, python_version: str, arch: str = "arm64") -> list[Artefact]:
    if cloud == "aws":
        if arch not in LAMBDA_PLATFORMS:
            raise BuildError(f"unknown Lambda architecture {arch!r} (arm64 or x86_64)")
        scheduler = Artefact(
            name="offhours-aws",
            cloud="aws",
            requirements=requirements_for("aws"),
            handler_module="functions.clouds.aws_lambda",
            vendor=True,
            platform=LAMBDA_PLATFORMS[arch],
        )
        digest = replace(
            scheduler,
            name="offhours-aws-digest",
            requirements=requirements_for("aws", with_digest=True),
        )
        return [scheduler, digest]
    if cloud == "gcp":
        reqs = requirements_for("gcp")
        lock = read_lock("gcp")
        return [
            Artefact(
                name="offhours-gcp",
                cloud="gcp",
                requirements=reqs,
                handler_module="functions.clouds.gcp_main",
                vendor=False,
                extra_files={
                    "main.py": '"""Cloud Functions loads main.py: the entry points live in '
                    'functions/clouds/gcp_main.py."""\n\n'
                    "from functions.clouds.gcp_main import *  # noqa: F403\n",
                    "requirements.txt": lock or "\n".join(lock_inputs("gcp")) + "\n",
                },
            )
        ]
    if cloud == "azure":
        reqs = requirements_for("azure", with_digest=True)  # the app also runs the digest
        return [
            Artefact(
                name="offhours-azure",
                cloud="azure",
                requirements=(*reqs, "azure-functions>=1.20"),
                handler_module="functions.clouds.azure_function_app",
                vendor=True,
                platform="manylinux2014_x86_64",
                site_dir=".python_packages/lib/site-packages",
                extra_files={
                    "function_app.py": '"""The Functions host loads function_app.py: the app '
                    'lives in functions/clouds/azure_function_app.py."""\n\n'
                    "from functions.clouds.azure_function_app import app  # noqa: F401\n",
                    "requirements.txt": read_lock("azure")
                    or "\n".join(lock_inputs("azure")) + "\n",
                },
                lock=LOCKS / "azure.txt" if read_lock("azure") else None,
            )
        ]
    raise BuildError(f"unknown cloud {cloud!r} (choose from {', '.join(CLOUDS)})")


# ------------------------------------------------------------------ building


def project_files(cloud: str) -> Iterable[tuple[Path, str]]:
    """(source path, path in the zip) of every project file the cloud's artefact needs."""
    other_clouds = {c for c in CLOUDS if c != cloud}
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            rel = path.relative_to(ROOT)
            parts = rel.parts
            if not path.is_file() or "__pycache__" in parts or path.suffix not in DATA_SUFFIXES:
                continue
            if parts[0] == "providers" and len(parts) > 2 and parts[1] in other_clouds:
                continue
            if any(p.startswith("test") for p in parts[1:]):
                continue
            yield path, rel.as_posix()


def host_file(cloud: str) -> Path | None:
    for candidate in (ROOT / "host.json", ROOT / "functions" / "clouds" / "host.json"):
        if candidate.exists():
            return candidate
    return None


def pip_install(
    requirements: Sequence[str],
    target: Path,
    python_version: str,
    platform: str = "",
    python: str = sys.executable,
) -> list[str]:
    """Install into ``target``; returns warnings. Platform wheels first, host as fallback."""
    base = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    base += ["--no-compile", "--target", str(target), "--upgrade"]
    warnings: list[str] = []
    if platform:
        pinned = [
            "--platform",
            platform,
            "--only-binary=:all:",
            "--python-version",
            python_version,
            "--implementation",
            "cp",
        ]
        done = subprocess.run(
            [*base, *pinned, *requirements], check=False, capture_output=True, text=True
        )
        if done.returncode == 0:
            return warnings
        shutil.rmtree(target, ignore_errors=True)
        warnings.append(
            f"no {platform} wheel for every dependency; fell back to the host platform "
            f"(pip said: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '?'})"
        )
    done = subprocess.run([*base, *requirements], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"pip install failed:\n{done.stderr}")
    return warnings


# Never imported by a function: the dependencies' own test suites, sample data, stubs.
PRUNE_DIRS = ("__pycache__", "tests", "testing", "sample_data")
PRUNE_SUFFIXES = (".pyi", ".pxd", ".pyx", ".c", ".h")


def prune(site: Path) -> None:
    for name in PRUNE_DIRS:
        for path in sorted(site.rglob(name), key=lambda p: -len(p.parts)):
            # keep numpy.testing (imported by numpy itself); drop test suites
            if path.is_dir() and not (name == "testing" and path.parent.name == "numpy"):
                shutil.rmtree(path, ignore_errors=True)
    for path in list(site.glob("bin")):
        shutil.rmtree(path, ignore_errors=True)
    for path in list(site.rglob("*")):
        if path.is_file() and path.suffix in PRUNE_SUFFIXES:
            path.unlink()


def target_python(version: str) -> str | None:
    """An interpreter of the target version on this machine, for bytecode and timing."""
    names = [f"python{version}"]
    found = [shutil.which(n) for n in names]
    candidates = [f for f in found if f]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [
        str(p) for p in sorted(pyenv_root.glob(f"versions/{version}*/bin/python{version}"))
    ]
    for candidate in candidates:
        done = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode == 0 and done.stdout.strip() == version:
            return candidate
    return None


def compile_bytecode(tree: Path, python: str | None) -> bool:
    if python is None:
        return False
    if python == sys.executable:
        compileall.compile_dir(
            str(tree),
            quiet=1,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        return True
    code = (
        "import compileall, py_compile, sys; "
        "compileall.compile_dir(sys.argv[1], quiet=1, "
        "invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)"
    )
    subprocess.run([python, "-c", code, str(tree)], check=True, capture_output=True)
    return True


def stage(artefact: Artefact, build: Path, python_version: str) -> tuple[Path, list[str]]:
    """Lay the artefact out in ``build/<name>``; returns the folder and warnings."""
    tree = build / artefact.name
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    warnings: list[str] = []
    for source, rel in project_files(artefact.cloud):
        dest = tree / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    for rel, text in artefact.extra_files.items():
        (tree / rel).write_text(text)
    if artefact.cloud == "azure":
        host = host_file("azure")
        if host is None:
            warnings.append("host.json not written yet: packed a minimal one (version 2.0)")
            (tree / "host.json").write_text(
                json.dumps(
                    {
                        "version": "2.0",
                        "extensionBundle": {
                            "id": "Microsoft.Azure.Functions.ExtensionBundle",
                            "version": "[4.*, 5.0.0)",
                        },
                    },
                    indent=2,
                )
                + "\n"
            )
        else:
            shutil.copy2(host, tree / "host.json")
    if artefact.vendor:
        site = tree / artefact.site_dir if artefact.site_dir else tree
        wanted = ("--require-hashes", "-r", str(artefact.lock)) if artefact.lock else None
        warnings += pip_install(
            wanted or artefact.requirements, site, python_version, artefact.platform
        )
        prune(site)
        if artefact.platform:
            warnings += foreign_binaries(site, artefact.platform)
    return tree, warnings


def foreign_binaries(site: Path, platform: str) -> list[str]:
    """Compiled extensions that were not built for the target platform."""
    arch = "aarch64" if "aarch64" in platform else "x86_64"
    wrong = []
    for path in site.rglob("*.so*"):
        name = path.name
        if ("x86_64" in name or "aarch64" in name) and arch not in name:
            wrong.append(path.relative_to(site).as_posix())
    return [f"compiled for the wrong platform: {p}" for p in wrong[:20]]


def write_zip(tree: Path, zip_path: Path, level: int = 9) -> None:
    """Deflate at ``level`` (9 for release; the smoke tests pack at 1: same files, faster)."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for path in sorted(tree.rglob("*")):
            if not path.is_file():
                continue
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=level)
    tmp.replace(zip_path)


def tree_size(tree: Path) -> int:
    return sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())


# ------------------------------------------------------------------ measuring

SAMPLES = 5  # fresh processes per import figure; the best is the least disturbed
FIRST_CALLS = 3  # first calls against moto (each on a freshly seeded account)
FIRST_CALL_REGION = "eu-west-1"
FIRST_CALL_BUCKET = "offhours-measure"
FIRST_CALL_AT = "2026-11-23T21:00:00Z"  # a Monday evening: office-hours is off
# What the first invocation also imports, where no first call is made here (GCP, Azure).
FIRST_CALL_MODULES = {
    "gcp": "functions.jobs.reconcile, functions.wiring, providers.gcp.connection",
    "azure": "functions.jobs.reconcile, functions.wiring, providers.azure.connection",
}
# Timed in the artefact's interpreter: wall and CPU of importing ``modules`` (comma-
# separated), in order; a name that only exists as a side effect of another is skipped.
IMPORT_PROBE = """
import importlib, json, sys, time
wall, cpu = time.perf_counter(), time.process_time()
for name in sys.argv[1].split(","):
    try:
        importlib.import_module(name.strip())
    except (ImportError, AttributeError):
        pass
print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu, len(sys.modules)]))
"""
# The Lambda handler's first invocation in a fresh interpreter of the artefact: import,
# one EventBridge Scheduler event, and what each cost and imported, written to argv[1]
# (stdout carries the function's own JSON logs).
FIRST_CALL_PROBE = """
import json, sys, time
wall, cpu = time.perf_counter(), time.process_time()
import functions.clouds.aws_lambda as function
imported = [time.perf_counter() - wall, time.process_time() - cpu]


class Context:
    function_name = "offhours-scheduler"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:offhours-scheduler"
    aws_request_id = "first-call"

    def get_remaining_time_in_millis(self):
        return 900_000


wall, cpu = time.perf_counter(), time.process_time()
answer = function.handler({"scheduled_time": sys.argv[2]}, Context())
called = [time.perf_counter() - wall, time.process_time() - cpu]
with open(sys.argv[1], "w") as out:
    json.dump({"import": imported, "call": called, "answer": answer,
               "modules": list(sys.modules)}, out)
"""


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _spread(samples: Sequence[float]) -> dict[str, float]:
    return {"best": _ms(min(samples)), "median": _ms(statistics.median(samples))}


def time_imports(
    python: str, modules: str, env: dict[str, str], cwd: str, count: int = SAMPLES
) -> dict[str, object]:
    """Wall and CPU (best and median of ``count`` fresh ``python -S`` processes) of
    importing ``modules``; CPU is what a loaded machine disturbs least."""
    walls, cpus, loaded = [], [], 0
    for _ in range(count):
        done = subprocess.run(
            [python, "-S", "-c", IMPORT_PROBE, modules],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
        )
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
        wall, cpu, loaded = json.loads(done.stdout.strip().splitlines()[-1])
        walls.append(wall)
        cpus.append(cpu)
    return {"wall_ms": _spread(walls), "cpu_ms": _spread(cpus), "modules": loaded}


def first_call_env(url: str, ledger: str) -> dict[str, str]:
    """What template.yaml gives SchedulerFunction (acting, not a dry run), plus what
    Lambda sets, pointed at a local moto server."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": url,
        "AWS_REGION": FIRST_CALL_REGION,
        "AWS_DEFAULT_REGION": FIRST_CALL_REGION,
        "AWS_LAMBDA_FUNCTION_NAME": "offhours-scheduler",
        "POWERTOOLS_SERVICE_NAME": "offhours",
        "POWERTOOLS_METRICS_NAMESPACE": "offhours",
        "LOG_LEVEL": "INFO",
        "OFFHOURS_PROVIDERS": "aws",
        "OFFHOURS_LEDGER": ledger,
        "OFFHOURS_AWS_REGIONS": FIRST_CALL_REGION,
        "OFFHOURS_DRY_RUN": "false",
        "TZ": ":UTC",
    }


def seed_first_call(url: str) -> None:
    """An empty moto account with the ledger bucket and two tagged instances: one that
    office-hours stops at FIRST_CALL_AT, one protected."""
    import urllib.request
    from datetime import UTC, datetime

    import boto3

    from sandbox.aws_fleet import AMI, set_launch_time

    reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset).close()
    kwargs: dict[str, str] = {"endpoint_url": url, "region_name": FIRST_CALL_REGION}
    kwargs |= {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3, ec2 = boto3.client("s3", **kwargs), boto3.client("ec2", **kwargs)
    s3.create_bucket(
        Bucket=FIRST_CALL_BUCKET,
        CreateBucketConfiguration={"LocationConstraint": FIRST_CALL_REGION},
    )
    for name, extra in (("dev-box", {}), ("prod-box", {"environment": "prod"})):
        tags = {"Name": name, "schedule": "office-hours", **extra}
        launched = ec2.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.medium",
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                }
            ],
        )
        # Started by hand long enough ago that its grace period is over.
        at = datetime(2026, 11, 23, 7, tzinfo=UTC)
        set_launch_time(launched["Instances"][0]["InstanceId"], at, region=FIRST_CALL_REGION)


def run_first_call(
    python: str, env: dict[str, str], cwd: str, flags: Sequence[str] = ("-S",)
) -> dict[str, object]:
    """One first invocation of the Lambda handler in a fresh ``python``: its import and
    call costs (wall, CPU; seconds), the handler's answer and every module then loaded."""
    with tempfile.TemporaryDirectory(prefix="offhours-first-call-") as tmp:
        out = Path(tmp) / "first-call.json"
        done = subprocess.run(
            [python, *flags, "-c", FIRST_CALL_PROBE, str(out), FIRST_CALL_AT],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
        )
        if done.returncode != 0 or not out.exists():
            return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
        result: dict[str, object] = json.loads(out.read_text())
        return result


def measure_first_call(python: str, path: str, home: str) -> dict[str, object]:
    """The handler's first invocation against a moto server seeded fresh each time
    (best and median of FIRST_CALLS); moto's own time is in the wall, not in the CPU."""
    try:
        from sandbox.moto_server import moto_server
    except ImportError as err:  # moto is a dev dependency; a release build may lack it
        return {"error": f"no moto here to call the handler against ({err})"}
    runs = []
    with moto_server() as url:
        for number in range(FIRST_CALLS):
            seed_first_call(url)
            env = first_call_env(url, f"s3://{FIRST_CALL_BUCKET}/run-{number}")
            env |= {"PYTHONPATH": path, "PATH": os.environ.get("PATH", ""), "HOME": home}
            run = run_first_call(python, env, home)
            if "error" in run:
                return run
            runs.append(run)
    imports = [r["import"] for r in runs]
    calls = [r["call"] for r in runs]
    answer = runs[0]["answer"]
    return {
        "import_wall_ms": _spread([i[0] for i in imports]),  # type: ignore[index]
        "import_cpu_ms": _spread([i[1] for i in imports]),  # type: ignore[index]
        "call_wall_ms": _spread([c[0] for c in calls]),  # type: ignore[index]
        "call_cpu_ms": _spread([c[1] for c in calls]),  # type: ignore[index]
        "actions": answer.get("actions", {}) if isinstance(answer, dict) else {},
        "modules": [m for m in runs[0]["modules"] if not m.startswith("__")],  # type: ignore[attr-defined]
    }


def measure_import(artefact: Artefact, tree: Path, python_version: str) -> dict[str, object]:
    """Install a host-platform twin and time, in fresh processes of the target Python:
    the handler module's import; the import of everything its first call loads; and (AWS)
    the first call itself against moto. Each in wall and CPU time, with the load average
    (the machine may be shared)."""
    python = target_python(python_version)
    if python is None:
        return {"error": f"no python{python_version} on this machine to measure with"}
    if (
        artefact.cloud == "azure"
        and not (ROOT / "functions" / "clouds" / "azure_function_app.py").exists()
    ):
        return {"error": "functions/clouds/azure_function_app.py not written yet"}
    with tempfile.TemporaryDirectory(prefix="offhours-twin-") as tmp:
        twin = Path(tmp) / "twin"
        shutil.copytree(tree, twin, ignore=shutil.ignore_patterns(".python_packages"))
        deps = Path(tmp) / "deps"
        # Host wheels of the same dependencies (an aarch64 build cannot run here), plus
        # what the platform provides (boto3 on Lambda, the SDKs installed by Cloud Build).
        requirements = list(artefact.requirements)
        if artefact.cloud == "aws":
            requirements.append("boto3")
        if artefact.cloud == "gcp":
            requirements.append("functions-framework>=3,<4")
        pip_install(requirements, deps, python_version, python=python)
        compile_bytecode(deps, python)
        compile_bytecode(twin, python)
        path = os.pathsep.join([str(twin), str(deps)])
        env = {"PYTHONPATH": path, "PATH": os.environ.get("PATH", ""), "HOME": tmp}
        module = artefact.handler_module
        load_before = os.getloadavg()[0]
        handler = time_imports(python, module, env, tmp)
        if "error" in handler:
            return handler
        first: dict[str, object] = {}
        if artefact.cloud == "aws":
            first = measure_first_call(python, path, tmp)
            loaded = first.get("modules")
            modules = ",".join(loaded) if isinstance(loaded, list) else module
        else:
            modules = f"{module}, {FIRST_CALL_MODULES[artefact.cloud]}"
        with_first = time_imports(python, modules, env, tmp)
        timing = subprocess.run(
            [python, "-S", "-X", "importtime", "-c", IMPORT_PROBE, modules],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
        )
        return {
            "python": python_version,
            "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "handler": handler,
            "with_first_call_imports": with_first,
            "first_call": {k: v for k, v in first.items() if k != "modules"},
            "top_imports": top_imports(timing.stderr),
        }


def top_imports(importtime: str, count: int = 8) -> list[tuple[str, float]]:
    """Distributions by self import time (ms), summed per top-level package, from
    ``-X importtime`` output."""
    totals: dict[str, float] = {}
    for line in importtime.splitlines():
        match = re.match(r"import time:\s+(\d+)\s+\|\s+\d+\s+\|\s*(\S+)", line)
        if not match:
            continue
        root = match.group(2).split(".")[0]
        totals[root] = totals.get(root, 0.0) + int(match.group(1)) / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])[:count]


# ------------------------------------------------------------------ command line


def build(
    cloud: str,
    out: Path,
    python_version: str,
    measure: bool,
    arch: str = "arm64",
    level: int = 9,
    only: Sequence[str] = (),
    build_dir: Path | None = None,
) -> list[dict[str, object]]:
    """Build the cloud's artefacts (or those named in ``only``) into ``out``."""
    reports = []
    build_dir = build_dir or ROOT / "build" / "package"
    bytecode_python = target_python(python_version)
    for artefact in artefacts(cloud, python_version, arch):
        if only and artefact.name not in only:
            continue
        tree, warnings = stage(artefact, build_dir, python_version)
        compiled = artefact.cloud == "aws" and compile_bytecode(tree, bytecode_python)
        if artefact.cloud == "aws" and not compiled:
            warnings.append(f"no python{python_version} here: zip carries no bytecode")
        zip_path = out / f"{artefact.name}.zip"
        write_zip(tree, zip_path, level)
        report: dict[str, object] = {
            "artefact": str(
                zip_path.relative_to(ROOT) if zip_path.is_relative_to(ROOT) else zip_path
            ),
            "zip_mb": round(zip_path.stat().st_size / 1e6, 2),
            "unzipped_mb": round(tree_size(tree) / 1e6, 2),
            "bytecode": compiled,
            "warnings": warnings,
        }
        if measure:
            report["import"] = measure_import(artefact, tree, python_version)
        reports.append(report)
        print(format_report(report), flush=True)
    return reports


def format_report(report: dict[str, object]) -> str:
    lines = [
        f"{report['artefact']}: {report['zip_mb']} MB zipped, "
        f"{report['unzipped_mb']} MB unzipped" + (", with bytecode" if report["bytecode"] else "")
    ]
    for warning in report["warnings"]:  # type: ignore[attr-defined]
        lines.append(f"  warning: {warning}")
    timing = report.get("import")
    if isinstance(timing, dict):
        lines += format_timing(timing)
    return "\n".join(lines)


def _pair(figure: object) -> str:
    """``{"best": b, "median": m}`` as "b ms (median m)"."""
    if not isinstance(figure, dict):
        return "?"
    return f"{figure['best']:.0f} ms (median {figure['median']:.0f})"


def format_timing(timing: dict[str, object]) -> list[str]:
    if "error" in timing:
        return [f"  import: not measured ({timing['error']})"]
    load = timing["load"]
    assert isinstance(load, list)
    lines = [
        f"  timed in python{timing['python']} -S on a host twin, best of {SAMPLES} fresh "
        f"processes; load average {load[0]} before, {load[1]} after (2 cores here: wall "
        "times on a busy machine are mostly waiting; CPU times are the steadier figure)"
    ]
    for label, key in (
        ("handler import", "handler"),
        ("handler import + what its first call imports", "with_first_call_imports"),
    ):
        figure = timing.get(key)
        if isinstance(figure, dict) and "error" not in figure:
            lines.append(
                f"  {label} ({figure['modules']} modules): wall {_pair(figure['wall_ms'])}, "
                f"CPU {_pair(figure['cpu_ms'])}"
            )
        elif isinstance(figure, dict):
            lines.append(f"  {label}: not measured ({figure['error']})")
    first = timing.get("first_call")
    if isinstance(first, dict) and "error" in first:
        lines.append(f"  first call: not measured ({first['error']})")
    elif isinstance(first, dict) and first:
        lines.append(
            f"  first call against moto (acting on 2 instances: {first['actions']}; best of "
            f"{FIRST_CALLS}): import wall {_pair(first['import_wall_ms'])}, CPU "
            f"{_pair(first['import_cpu_ms'])}; call wall {_pair(first['call_wall_ms'])} "
            f"(moto's time included), CPU {_pair(first['call_cpu_ms'])}"
        )
    tops = timing.get("top_imports")
    if isinstance(tops, list):
        listed = ", ".join(f"{name} {ms:.0f} ms" for name, ms in tops)
        lines.append(f"  heaviest imports (self time by distribution, -X importtime): {listed}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cloud", choices=CLOUDS)
    parser.add_argument("--out", default="dist", help="output folder (default: dist/)")
    parser.add_argument("--python-version", default="3.12", help="target Python (default 3.12)")
    parser.add_argument(
        "--measure", action="store_true", help="time the handler's cold import and first call"
    )
    parser.add_argument("--json", action="store_true", help="print the reports as JSON too")
    parser.add_argument(
        "--arch", default="arm64", choices=sorted(LAMBDA_PLATFORMS), help="AWS Lambda architecture"
    )
    parser.add_argument(
        "--compress-level", type=int, default=9, choices=range(10), help="deflate level (9)"
    )
    parser.add_argument("--only", action="append", default=[], help="build only this artefact")
    parser.add_argument("--build-dir", help="staging folder (default: build/package)")
    parser.add_argument(
        "--lock", action="store_true", help="write infra/locks/CLOUD.txt (pinned, hashed)"
    )
    args = parser.parse_args(argv)
    if args.lock:
        try:
            print(f"wrote {write_lock(args.cloud, args.python_version).relative_to(ROOT)}")
        except BuildError as err:
            print(f"package: {err}", file=sys.stderr)
            return 1
        return 0
    out = Path(args.out)
    out = out if out.is_absolute() else Path.cwd() / out
    try:
        reports = build(
            args.cloud,
            out,
            args.python_version,
            args.measure,
            arch=args.arch,
            level=args.compress_level,
            only=args.only,
            build_dir=Path(args.build_dir) if args.build_dir else None,
        )
    except BuildError as err:
        print(f"package: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(reports, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
