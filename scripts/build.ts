/**
 * `pnpm build` (and the package's `prepare`): bundles the service (`src/main.ts` → `dist/main.js`)
 * and the CLI (`src/cli/main.ts` → `dist/cli.js`) with every dependency, so `pnpm start`, the image
 * and a global install load a few files instead of ~1,000 modules: faster starts and less memory
 * (docs/performance.md); they need no node_modules. The typed RPC client (`llm-batch/client`) is
 * built apart: `dist/client.js` with `effect` left as an import (the caller's own copy, so their
 * Layers and ours are one library), and its declarations under `dist/types/`. The web console
 * (`web/`, built by Vite) goes to `dist/console/`, where the service finds it beside `dist/main.js`.
 *
 *   node scripts/build.ts [outdir]     default dist/
 */
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build as viteBuild } from "vite"

const root = fileURLToPath(new URL("..", import.meta.url))

/** tsc keeps the sources' `./x.ts` specifiers in declarations; a consumer's tsc resolves `./x.js`. */
const rewriteSpecifiers = (directory: string): void => {
  for (const entry of readdirSync(directory, { recursive: true, encoding: "utf8" })) {
    if (!entry.endsWith(".d.ts")) continue
    const file = join(directory, entry)
    const text = readFileSync(file, "utf8")
    writeFileSync(file, text.replace(/(["'])(\.{1,2}\/[^"']+)\.ts\1/g, "$1$2.js$1"))
  }
}

const buildClient = async (outdir: string): Promise<void> => {
  await build({
    absWorkingDir: root,
    entryPoints: { client: "src/rpc/client.ts" },
    outdir,
    bundle: true,
    // `effect` stays an import: one copy of the library with the caller's.
    packages: "external",
    platform: "neutral",
    target: "es2022",
    format: "esm",
    sourcemap: "linked",
    sourcesContent: false,
    logLevel: "warning"
  })
  const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc")
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.client.json"), "--outDir", join(outdir, "types")], {
    stdio: "inherit"
  })
  rewriteSpecifiers(join(outdir, "types"))
}

/** The web console into `outdir` (`index.html`, hashed files under `assets/`), emptied first. */
export const buildConsole = async (outdir: string): Promise<void> => {
  await viteBuild({
    configFile: join(root, "web", "vite.config.ts"),
    // Node loads the TypeScript config itself: no bundled copy of it is written next to it.
    configLoader: "native",
    build: { outDir: outdir, emptyOutDir: true }
  })
}

export const buildDist = async (outdir = `${root}dist`): Promise<void> => {
  rmSync(outdir, { recursive: true, force: true })
  await buildConsole(join(outdir, "console"))
  await buildClient(outdir)
  await build({
    absWorkingDir: root,
    entryPoints: { main: "src/main.ts", cli: "src/cli/main.ts" },
    outdir,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    // Dynamic imports (the Anthropic SDK, ioredis) stay separate files, loaded on first use.
    splitting: true,
    // Whitespace and syntax only: identifiers keep their names, so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    // `node --enable-source-maps dist/main.js` maps stack traces back to src/.
    sourcemap: "linked",
    sourcesContent: false,
    // Bundled CommonJS packages (ioredis, ws) call require() for Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: "warning"
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDist(process.argv[2])
