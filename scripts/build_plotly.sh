#!/usr/bin/env bash
# Rebuild static/vendor/plotly/plotly-surveys.min.js: plotly.js with only the trace types the
# dashboard draws (scatter, bar, heatmap), from the npm package at the versions pinned in
# scripts/plotly/package-lock.json. Same inputs, same bytes: run it and `git diff` shows nothing.
# Needs Node 20+ and the npm registry. Not part of `make test`: the output is committed.
#
# To add a trace type (charts.py draws a new kind), require it in scripts/plotly/entry.js.
# To upgrade, change plotly.js in scripts/plotly/package.json together with the Python `plotly`
# package (their versions must match: `plotly.offline.get_plotlyjs_version()`), run
# `npm install` there to update the lock file, then this script.
set -euo pipefail
cd "$(dirname "$0")/plotly"
npm ci --no-audit --no-fund --ignore-scripts
node build.mjs
cp node_modules/plotly.js/LICENSE ../../static/vendor/plotly/LICENSE
out=../../static/vendor/plotly/plotly-surveys.min.js
echo "$(wc -c < "$out") bytes, $(gzip -9c "$out" | wc -c) gzipped: $out"
if grep -q 'new Function\|[^.a-zA-Z_]eval(' "$out"; then
  echo "the bundle compiles code at run time: it would break under the dashboard's CSP" >&2
  exit 1
fi
