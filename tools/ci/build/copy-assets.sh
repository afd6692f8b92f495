#!/usr/bin/env bash
# Copies the non-TypeScript files that code loads at run time (Lua scripts, taxonomies, classifiers) next to
# the compiled output, mirroring the source tree.
set -euo pipefail
cd "$(dirname "$0")/../../.."
find apps libs -type f \( -name '*.lua' -o -name '*.taxonomy.json' -o -name '*.sentiment.json' -o -name 'explorer.html' \) -not -path '*/node_modules/*' -print0 |
  while IFS= read -r -d '' f; do install -D -m 0644 "$f" "dist/$f"; done
