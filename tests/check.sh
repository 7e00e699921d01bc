#!/usr/bin/env bash
# Installs what the checks need on a fresh machine, then runs every check:
# ruff, mypy --strict, import-linter contracts and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Real servers the integration tests start themselves (never mocked): OpenSSH's sshd, and
# PostgreSQL's initdb/pg_ctl (tests/postgres.py starts a throwaway cluster).
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null ||
    missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
PYTHONPATH=typings .venv/bin/lint-imports --no-cache  # typings/: the installed names
.venv/bin/pytest
