#!/usr/bin/env bash
# Quickstart 2/2: install everything into ./.venv, then run the whole test suite (slow tests too).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Headless Chromium renders the HTML report in one test (Debian package; root in CI).
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: its test will skip"
fi
.venv/bin/ruff check src tests benchmarks scripts experiments examples
.venv/bin/ruff format --check src tests benchmarks scripts experiments examples
# Every tier: -m "" lifts the default selection of the fast tier (pyproject.toml addopts).
.venv/bin/python -m pytest -m "" "$@"
