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

/** The oldest Node that runs the bundle: package.json's `engines.node` (">=22.18"). */
export const requiredNode = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } })
  .engines.node.replace(">=", "")

/**
 * `dist/main.js` and `dist/cli.js`: check the Node version, then load the bundle. A bundle's static
 * imports are evaluated before any of its own code (a banner too), and an older Node fails in them
 * with a TypeError printed over a whole minified line. This file has no module syntax, so any Node
 * runs it as CommonJS or ESM alike (the image's dist/ has no package.json).
 */
const nodeCheck = (bundle: string): string => {
  const [major, minor] = requiredNode.split(".")
  return [
    `const [major, minor] = process.versions.node.split(".").map(Number)`,
    `if (major < ${major} || (major === ${major} && minor < ${minor})) {`,
    `  process.stderr.write("llm-batch needs Node.js >= ${requiredNode} (this is " + process.version + "): install Node 24 from nodejs.org or npm's \`node\` package (npm install -g node@24), or from a checkout run scripts/dev, which fetches it\\n")`,
    `  process.exit(1)`,
    `}`,
    `import("./${bundle}").catch((error) => {`,
    `  process.exitCode = 1`,
    `  console.error(error)`,
    `})`,
    ``
  ].join("\n")
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
    entryPoints: { "main.bundle": "src/main.ts", "cli.bundle": "src/cli/main.ts" },
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
  writeFileSync(join(outdir, "main.js"), nodeCheck("main.bundle.js"))
  writeFileSync(join(outdir, "cli.js"), `#!/usr/bin/env node\n${nodeCheck("cli.bundle.js")}`, { mode: 0o755 })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDist(process.argv[2])
