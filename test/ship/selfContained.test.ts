/**
 * A clone is all a contributor has: no committed file may point outside the repository — at the
 * machine it was written on (`/work/…`), at a sibling directory (`../shared`), or at a contract
 * kept there (`SPEC.md`, a "(SPEC, …)" citation). The contract and conventions are
 * repo_docs/contract.md and repo_docs/conventions.md. This file, whose examples must name them, is
 * the one exception.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { repoRoot } from "../support/Cli.ts"

const outside: ReadonlyArray<readonly [string, RegExp]> = [
  ["a path under /work", /\/work\//],
  ["a sibling directory ../shared", /\.\.\/shared\b/],
  ["a contract file outside the repository", /\b(SPEC|STYLE)\.md\b/],
  ["a citation of SPEC", /\(SPEC\b/]
]

/** Every file git tracks (the working tree's version of it). */
const committedFiles = (): ReadonlyArray<string> =>
  execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" }).split("\0").filter((file) => file !== "")

const thisFile = relative(repoRoot, fileURLToPath(import.meta.url))

/** `file:line: text` for each line of `text` matching one of `outside`. */
const referencesOutside = (file: string, text: string): ReadonlyArray<string> =>
  text.split("\n").flatMap((line, i) =>
    outside.filter(([, pattern]) => pattern.test(line)).map(([what]) => `${file}:${i + 1}: ${what}: ${line.trim()}`)
  )

describe("the repository is self-contained", () => {
  it("recognises each kind of outside reference (and not a path inside the repository)", () => {
    const lines = [
      "The contract itself is `/work/shared/SPEC.md`",
      "see ../shared/STYLE.md",
      "The handlers (SPEC, *Batch jobs*)",
      "The handlers (repo_docs/contract.md, *Batch jobs*)",
      "import type { Transport } from \"@modelcontextprotocol/sdk/shared/transport.js\"",
      "const workDir = join(tmp, \"work/\"), network = \"/network/\""
    ]
    expect(lines.map((line) => referencesOutside("x", line).length)).toEqual([2, 2, 1, 0, 0, 0])
  })

  it("no committed file refers to /work/, ../shared or an outside SPEC", () => {
    const files = committedFiles()
    expect(files).toContain("repo_docs/contract.md")
    const found = files
      .filter((file) => file !== thisFile && !/\.(png|jpe?g|gif|ico|tgz)$/.test(file))
      .flatMap((file) => referencesOutside(file, readFileSync(join(repoRoot, file), "utf8")))
    expect(found, "cite repo_docs/contract.md or repo_docs/conventions.md instead").toEqual([])
  })
})
