#!/bin/sh
# Installs the tools `npm run bench` measures hoist against, beside it and never
# as a dependency of hoist: ansible-core, Mitogen and pyinfra from PyPI into a venv.
set -e
dir=${HOIST_BENCH_DIR:-/var/cache/hoist-bench}
mkdir -p "$dir"
[ -x "$dir/venv/bin/python" ] || python3 -m venv "$dir/venv"
"$dir/venv/bin/pip" install -q ansible-core mitogen pyinfra
"$dir/venv/bin/pip" list 2>/dev/null | grep -iE '^(ansible-core|mitogen|pyinfra) '
