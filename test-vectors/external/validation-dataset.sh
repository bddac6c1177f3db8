#!/usr/bin/env bash
# Installs fraction's ssb-validation-dataset (npm, AGPL-3.0) at test time into an ignored
# directory; it is never copied into this repository. ssb-feed/tests/validation_dataset.rs
# replays its 126 cases.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$here/.npm-validation-dataset"
version=1.2.1
pj="$prefix/node_modules/ssb-validation-dataset/package.json"
if [ ! -f "$pj" ] || ! node -e "process.exit(require('$pj').version === '$version' ? 0 : 1)"; then
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "ssb-validation-dataset@$version"
fi
echo "ssb-validation-dataset@$version: $prefix/node_modules/ssb-validation-dataset/data.json"
