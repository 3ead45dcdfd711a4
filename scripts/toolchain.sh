#!/usr/bin/env bash
# Puts Node >= 22.18 and pnpm on PATH for the project's commands. 22.18 is the first Node that strips
# types by default, which running src/*.ts needs. A fresh machine may have only Node 20 (or an older
# 22) and npm: then Node 24 comes from the npm registry's `node` package into .tools/.
# Source it (`. scripts/toolchain.sh`); it only installs what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
node_version="24"
pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$root/package.json")"

# Prints "yes" when the given node (default: the one on PATH) is at least 22.18.
node_ok() {
  "${1:-node}" -p 'const [major, minor] = process.versions.node.split(".").map(Number); major > 22 || (major === 22 && minor >= 18) ? "yes" : "no"' 2>/dev/null || echo no
}

if [ "$(node_ok)" != yes ]; then
  if [ ! -x "$tools/node/node_modules/.bin/node" ] || [ "$(node_ok "$tools/node/node_modules/.bin/node")" != yes ]; then
    echo "toolchain: Node $(node -v 2>/dev/null || echo none) is older than 22.18; installing node@$node_version into .tools/" >&2
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
