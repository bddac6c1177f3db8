#!/usr/bin/env bash
# Installs fraction's ssb-validation-dataset (npm, AGPL-3.0) at test time into an ignored
# directory; it is never copied into this repository. ssb-feed/tests/validation_dataset.rs
# replays its 126 cases.
#
# A dataset that cannot be installed is a failure that says how to get it, never a silent
# skip; SSB_SKIP_EXTERNAL=1 skips every external suite explicitly (and says so).
set -euo pipefail
if [ "${SSB_SKIP_EXTERNAL:-}" = 1 ]; then
  echo "SKIPPED (SSB_SKIP_EXTERNAL=1): ssb-validation-dataset"
  exit 0
fi
for c in node npm; do
  command -v "$c" >/dev/null 2>&1 || {
    echo "validation-dataset.sh: $c not found: install node >= 20 and npm (Debian: apt-get install nodejs npm), or set SSB_SKIP_EXTERNAL=1 to skip the external suites" >&2
    exit 1
  }
done
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$here/.npm-validation-dataset"
version=1.2.1
pj="$prefix/node_modules/ssb-validation-dataset/package.json"
if [ ! -f "$pj" ] || ! node -e "process.exit(require('$pj').version === '$version' ? 0 : 1)"; then
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "ssb-validation-dataset@$version" || {
    echo "validation-dataset.sh: npm could not install ssb-validation-dataset@$version into $prefix (needs the npm registry)" >&2
    exit 1
  }
fi
data="$prefix/node_modules/ssb-validation-dataset/data.json"
[ -f "$data" ] || { echo "validation-dataset.sh: $data missing after install" >&2; exit 1; }
echo "ssb-validation-dataset@$version: $data"
