#!/usr/bin/env bash
# Installs the tools that must not share the project venv.
#
# checkov pins an old boto3; installed beside the project it would drag boto3 back a
# year. It gets its own virtual environment, .venv-tools/ (git-ignored). Offline use of
# checkov needs BC_SKIP_MAPPING=TRUE (set by tests/infra).
#
# The Lambda runtime for the smoke tests (tests/runtime): AWS's runtime interface client
# (awslambdaric, a C extension built here: ~30 s) and the boto3 the python3.12 runtime
# provides, installed for python3.12 into .venv-tools/lambda-runtime (a plain folder on
# the runtime's path, like /var/runtime). Skipped, with a note, when no python3.12 is on
# the machine (pyenv or PATH); the smoke tests then skip with that reason.
#
# A real browser for tests/browser: Debian's chromium (Playwright's own browser downloads
# are not reachable here), installed with apt-get when the machine lacks one.
#
# The shells the completion tests drive (tests/unit/test_completion.py): Debian's zsh
# and fish (bash is on the image), installed the same way; skipped with a note where
# there is no root apt-get, and those tests then skip.
#
# Idempotent: stamp files record what was installed; a second run with the same pins
# is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_VENV="${TOOLS_VENV:-.venv-tools}"
PYTHON="${PYTHON:-python3}"
CHECKOV_SPEC="checkov==3.3.30"
STAMP="$TOOLS_VENV/.installed-stamp"
LAMBDA_SPEC="awslambdaric==4.2.2 boto3"
LAMBDA_DIR="$TOOLS_VENV/lambda-runtime"
LAMBDA_STAMP="$LAMBDA_DIR/.installed-stamp"

find_python312() {
  local candidate
  for candidate in "$(command -v python3.12 || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12; do
    if [[ -n "$candidate" && -x "$candidate" ]] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

install_lambda_runtime() {
  if [[ -f "$LAMBDA_STAMP" && "$(cat "$LAMBDA_STAMP")" == "$LAMBDA_SPEC" ]]; then
    return 0
  fi
  local py
  if ! py="$(find_python312)"; then
    echo "no python3.12 on this machine: the Lambda runtime smoke tests will skip"
    return 0
  fi
  rm -rf "$LAMBDA_DIR"
  # shellcheck disable=SC2086  # the spec is a list of requirements
  "$py" -m pip install -q --disable-pip-version-check --target "$LAMBDA_DIR" $LAMBDA_SPEC
  echo "$LAMBDA_SPEC" > "$LAMBDA_STAMP"
  echo "installed $LAMBDA_SPEC for $py into $LAMBDA_DIR"
}

install_chromium() {
  if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
    return 0
  fi
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "no chromium and no root apt-get: install Debian's chromium for tests/browser"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends chromium >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }
  echo "installed $(chromium --version)"
}

install_shells() {
  local missing=()
  command -v zsh >/dev/null || missing+=(zsh)
  command -v fish >/dev/null || missing+=(fish)
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0
  fi
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "no ${missing[*]} and no root apt-get: their completion tests will skip"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
  echo "installed ${missing[*]}"
}

install_chromium
install_shells

if [[ -x "$TOOLS_VENV/bin/checkov" && -f "$STAMP" && "$(cat "$STAMP")" == "$CHECKOV_SPEC" ]]; then
  install_lambda_runtime
  exit 0
fi

test -x "$TOOLS_VENV/bin/python" || "$PYTHON" -m venv "$TOOLS_VENV"
"$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check "$CHECKOV_SPEC"
BC_SKIP_MAPPING=TRUE "$TOOLS_VENV/bin/checkov" --version >/dev/null
echo "$CHECKOV_SPEC" > "$STAMP"
echo "installed $CHECKOV_SPEC into $TOOLS_VENV"
install_lambda_runtime
