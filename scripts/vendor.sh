#!/usr/bin/env bash
# Re-fetch the vendored front-end packages from the npm registry (npm's configured registry).
# Each lands in app/static/vendor/<name>-<version>/ with its licence; templates name the exact version.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=app/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch <package> <version> <file in package> [<file> ...]
  local pkg=$1 version=$2; shift 2
  local dir="$dest/${pkg%%.*}-$version"
  (cd "$work" && npm pack --silent "$pkg@$version" >/dev/null)
  local tarball
  tarball=$(ls "$work"/*.tgz)
  mkdir -p "$work/x" "$dir"
  tar -xzf "$tarball" -C "$work/x"
  for f in "$@"; do cp "$work/x/package/$f" "$dir/"; done
  for licence in "$work"/x/package/LICENSE*; do [ -e "$licence" ] && cp "$licence" "$dir/LICENSE"; done
  printf '%s %s\nfetched from the npm registry by scripts/vendor.sh\n' "$pkg" "$version" > "$dir/VERSION"
  rm -rf "$work/x" "$tarball"
}

# htmx stays on 2.x: 4.x changes attribute inheritance and swaps error responses by default.
fetch htmx.org 2.0.11 dist/htmx.min.js
# The plugin editor: CodeMirror 5 ships as plain scripts (6 needs a bundler), with JavaScript highlighting.
fetch codemirror 5.65.21 lib/codemirror.js lib/codemirror.css mode/javascript/javascript.js
# Charts for the gallery's chart plugin, loaded by that plugin only.
fetch chart.js 4.6.1 dist/chart.umd.min.js
echo "vendored into $dest:"; ls "$dest"
