#!/usr/bin/env bash
# Puts Node >= 22 and pnpm on PATH for the project's commands. A fresh machine may have only
# Node 20 and npm: then Node 24 comes from the npm registry's `node` package into .tools/.
# Source it (`. scripts/toolchain.sh`); it only installs what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
node_version="24"
pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$root/package.json")"

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  if [ ! -x "$tools/node/node_modules/.bin/node" ] || [ "$(node_major "$tools/node/node_modules/.bin/node")" -lt 22 ]; then
    echo "toolchain: Node $(node -v 2>/dev/null || echo none) is older than 22; installing node@$node_version into .tools/" >&2
    npm install --silent --no-audit --no-fund --prefix "$tools/node" "node@$node_version" >&2
  fi
  export PATH="$tools/node/node_modules/.bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
  if [ ! -x "$tools/pnpm/node_modules/.bin/pnpm" ]; then
    echo "toolchain: installing pnpm@$pnpm_version into .tools/" >&2
    npm install --silent --no-audit --no-fund --prefix "$tools/pnpm" "pnpm@$pnpm_version" >&2
  fi
  export PATH="$tools/pnpm/node_modules/.bin:$PATH"
fi
