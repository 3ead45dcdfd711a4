/**
 * A small Dockerfile reader for the recipe checks: instructions with line continuations joined,
 * grouped into stages, exec-form arguments decoded. Enough for this repository's Dockerfile, not
 * a general parser (no heredocs, no parser directives beyond comments).
 */
export interface Instruction {
  readonly keyword: string
  /** Everything after the keyword, continuations joined with a space. */
  readonly args: string
  readonly line: number
}

export interface Stage {
  readonly image: string
  readonly name: string | undefined
  readonly instructions: ReadonlyArray<Instruction>
}

export const parseDockerfile = (text: string): ReadonlyArray<Instruction> => {
  const instructions: Array<Instruction> = []
  let pending: { text: string; line: number } | undefined
  for (const [offset, raw] of text.split("\n").entries()) {
    const line = raw.trim()
    if (pending === undefined && (line === "" || line.startsWith("#"))) continue
    if (pending !== undefined && line.startsWith("#")) continue
    const continued = line.endsWith("\\")
    const body = continued ? line.slice(0, -1).trim() : line
    pending = pending === undefined ? { text: body, line: offset + 1 } : { ...pending, text: `${pending.text} ${body}` }
    if (!continued) {
      const match = /^(\S+)\s*(.*)$/.exec(pending.text)
      if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: pending.line })
      pending = undefined
    }
  }
  return instructions
}

export const stagesOf = (instructions: ReadonlyArray<Instruction>): ReadonlyArray<Stage> => {
  const stages: Array<{ image: string; name: string | undefined; instructions: Array<Instruction> }> = []
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = instruction.args.replace(/--platform=\S+\s+/, "").split(/\s+/)
      stages.push({ image, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push(instruction)
    }
  }
  return stages
}

/** `["node", "src/main.ts"]` → the array; shell form → undefined. */
export const execForm = (args: string): ReadonlyArray<string> | undefined => {
  if (!args.trimStart().startsWith("[")) return undefined
  const value: unknown = JSON.parse(args)
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : undefined
}

/** `HEALTHCHECK --interval=5s CMD [...]` → its options and the command's exec form. */
export const healthcheckOf = (args: string) => {
  const match = /^((?:--\S+\s+)*)CMD\s+(.*)$/.exec(args)
  if (!match) return undefined
  return { options: match[1]!.trim().split(/\s+/).filter((o) => o !== ""), command: execForm(match[2]!) }
}

/** `ENV A=1 B=2` (or the legacy `ENV A 1`) → entries. Values here are never quoted. */
export const envOf = (args: string): ReadonlyArray<readonly [string, string]> =>
  args.includes("=")
    ? args.split(/\s+/).filter((pair) => pair !== "").map((pair) => {
      const [key = "", ...rest] = pair.split("=")
      return [key, rest.join("=")] as const
    })
    : [[args.split(/\s+/)[0] ?? "", args.split(/\s+/).slice(1).join(" ")] as const]

/** `COPY [--from=x] [--chown=..] a b dest` → parts. */
export const copyOf = (args: string) => {
  const words = args.split(/\s+/)
  const flags = words.filter((word) => word.startsWith("--"))
  const paths = words.filter((word) => !word.startsWith("--"))
  const from = flags.find((flag) => flag.startsWith("--from="))?.slice("--from=".length)
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? "" }
}

/** Minimal .dockerignore matching: `*`, `?`, `**`; a matched directory excludes its contents. */
export const dockerIgnore = (text: string) => {
  const rules = text.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!")
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+/, "").replace(/\/+$/, "")
      const source = pattern.split("/").map((part) =>
        part === "**" ? "(?:.*)" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")
      ).join("/").replace("(?:.*)/", "(?:.*/)?")
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) }
    })
  return (path: string): boolean =>
    rules.reduce((ignored, rule) => rule.regex.test(path) ? !rule.negate : ignored, false)
}
