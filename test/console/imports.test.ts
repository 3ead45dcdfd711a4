/**
 * What the console's bundle takes from src/: the domain's schemas and decoders and the engine's
 * pure helpers (substitution, dependencies, "not sent" messages), never the server's code, which
 * would drag Node modules into a browser bundle.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { repoRoot } from "../support/Cli.ts"

const allowed = ["src/batch/dependencies.ts", "src/batch/notSent.ts", "src/batch/placeholders.ts"]
const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm

/** Every src/ file the web sources reach, following src/'s own relative imports. */
const reachedFromWeb = (): ReadonlyArray<string> => {
  const web = join(repoRoot, "web", "src")
  const queue = readdirSync(web, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => join(web, f))
  const seen = new Set<string>()
  while (queue.length > 0) {
    const file = queue.pop()!
    for (const match of readFileSync(file, "utf8").matchAll(importPattern)) {
      const specifier = match[1]!
      if (!specifier.startsWith(".")) continue
      const target = resolve(dirname(file), specifier)
      const name = relative(repoRoot, target)
      if (!name.startsWith("src/") || seen.has(name)) continue
      seen.add(name)
      queue.push(target)
    }
  }
  return [...seen].toSorted()
}

describe("the console's bundle", () => {
  it("imports from src/ only the domain and the engine's pure helpers", () => {
    const reached = reachedFromWeb()
    expect(reached).toContain("src/domain/decode.ts")
    expect(reached.filter((file) => !file.startsWith("src/domain/") && !allowed.includes(file))).toEqual([])
  })
})
