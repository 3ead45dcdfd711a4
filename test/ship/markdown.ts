/**
 * A small reader of this repository's Markdown for the README checks: fenced code blocks, the
 * shell commands in a `sh` block, relative links and GitHub's heading anchors. Enough for our
 * docs, not a general parser (no nested fences, no reference-style links).
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"

export interface CodeBlock {
  readonly lang: string
  /** The block's text, de-indented when the fence sat in a list item. */
  readonly text: string
  readonly line: number
}

export const codeBlocks = (markdown: string): ReadonlyArray<CodeBlock> => {
  const blocks: Array<CodeBlock> = []
  const fence = /^( *)```(\w*)\n([\s\S]*?)^\1```[ \t]*$/gm
  for (const match of markdown.matchAll(fence)) {
    const indent = match[1]!.length
    const text = match[3]!.split("\n").map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length))).join("\n")
    blocks.push({ lang: match[2]!, text, line: markdown.slice(0, match.index).split("\n").length })
  }
  return blocks
}

export interface ShellCommand {
  /** The command as written (comments dropped, continuations and heredoc bodies kept). */
  readonly text: string
  /** Its words with quotes removed, leading `NAME=value` assignments included. */
  readonly words: ReadonlyArray<string>
  /** The heredoc's body, when the command has one. */
  readonly heredoc: string | undefined
}

/**
 * Splits a `sh` block into commands: `#` comments dropped, a line ending in `\` or inside an open
 * quote continues, and a `<<'END'` heredoc runs to its END line.
 */
export const shellCommands = (block: string): ReadonlyArray<ShellCommand> => {
  const commands: Array<ShellCommand> = []
  const lines = block.split("\n")
  let text = ""
  let words: Array<string> = []
  let word: string | undefined
  let quote: "'" | "\"" | undefined
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!
    let continued = false
    for (let at = 0; at < line.length; at++) {
      const char = line[at]!
      if (quote !== undefined) {
        if (char === quote) quote = undefined
        else word = (word ?? "") + char
        text += char
        continue
      }
      if (char === "#" && word === undefined) break
      if (char === "\\" && at === line.length - 1) {
        continued = true
        break
      }
      text += char
      if (char === "'" || char === "\"") {
        quote = char
        word = word ?? ""
      } else if (char === " " || char === "\t") {
        if (word !== undefined) words.push(word)
        word = undefined
      } else {
        word = (word ?? "") + char
      }
    }
    if (quote !== undefined) {
      text += "\n"
      word = (word ?? "") + "\n"
      continue
    }
    if (word !== undefined) words.push(word)
    word = undefined
    if (continued) {
      text += " "
      continue
    }
    text = text.trim()
    if (text === "") continue
    const delimiter = /<<-?\s*'?(\w+)'?/.exec(text)?.[1]
    let heredoc: string | undefined
    if (delimiter !== undefined) {
      const end = lines.indexOf(delimiter, index + 1)
      if (end < 0) throw new Error(`heredoc ${delimiter} has no end in:\n${block}`)
      heredoc = lines.slice(index + 1, end).join("\n") + "\n"
      text = `${text}\n${heredoc}${delimiter}`
      index = end
    }
    commands.push({ text, words, heredoc })
    text = ""
    words = []
  }
  if (quote !== undefined) throw new Error(`unclosed quote in:\n${block}`)
  return commands
}

/** Leading `NAME=value` words (the command's environment), and the rest. */
export const splitAssignments = (words: ReadonlyArray<string>) => {
  const env: Record<string, string> = {}
  let at = 0
  for (; at < words.length; at++) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(words[at]!)
    if (assignment === null) break
    env[assignment[1]!] = assignment[2]!
  }
  return { env, args: words.slice(at) }
}

/** GitHub's anchor for a heading: lower case, punctuation (backticks, slashes…) dropped, spaces to `-`. */
export const anchorOf = (heading: string): string =>
  heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-")

const withoutCode = (markdown: string) => markdown.replace(/^( *)```[\s\S]*?^\1```/gm, "").replace(/`[^`\n]*`/g, "")

/** The anchors of a file's headings (read with their inline code: `POST /ask` is `post-ask`). */
export const headingAnchors = (markdown: string): ReadonlySet<string> =>
  new Set(markdown.replace(/^( *)```[\s\S]*?^\1```/gm, "").split("\n").flatMap((line) => {
    const heading = /^#{1,6} (.+)$/.exec(line)
    return heading === null ? [] : [anchorOf(heading[1]!)]
  }))

/** Relative links of a Markdown file (outside code) that name a missing file or heading. */
export const brokenLinks = (file: string): ReadonlyArray<string> => {
  const markdown = readFileSync(file, "utf8")
  const broken: Array<string> = []
  for (const match of withoutCode(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1]!
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
    const [path = "", anchor] = target.split("#", 2)
    const resolved = path === "" ? file : join(dirname(file), path)
    if (!existsSync(resolved)) {
      broken.push(`${target}: no such file`)
      continue
    }
    if (anchor !== undefined && resolved.endsWith(".md") && !headingAnchors(readFileSync(resolved, "utf8")).has(anchor)) {
      broken.push(`${target}: no heading with that anchor`)
    }
  }
  return broken
}
