#!/usr/bin/env bash
# Installs the static-analysis tools that must not share the project venv.
#
# checkov pins an old boto3; installed beside the project it would drag boto3 back a
# year. It gets its own virtual environment, .venv-tools/ (git-ignored). Idempotent:
# a stamp file records what was installed, and a second run with the same pin is a
# no-op. Offline use of checkov needs BC_SKIP_MAPPING=TRUE (set by tests/infra).
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_VENV="${TOOLS_VENV:-.venv-tools}"
PYTHON="${PYTHON:-python3}"
CHECKOV_SPEC="checkov==3.3.30"
STAMP="$TOOLS_VENV/.installed-stamp"

if [[ -x "$TOOLS_VENV/bin/checkov" && -f "$STAMP" && "$(cat "$STAMP")" == "$CHECKOV_SPEC" ]]; then
  exit 0
fi

test -x "$TOOLS_VENV/bin/python" || "$PYTHON" -m venv "$TOOLS_VENV"
"$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check "$CHECKOV_SPEC"
BC_SKIP_MAPPING=TRUE "$TOOLS_VENV/bin/checkov" --version >/dev/null
echo "$CHECKOV_SPEC" > "$STAMP"
echo "installed $CHECKOV_SPEC into $TOOLS_VENV"
