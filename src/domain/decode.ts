/**
 * Decodes untrusted input with errors that name the field path (`questions[2].temperature: …`):
 * the one decoder and message format of HTTP, RPC, MCP and the CLI.
 */
import { Cause, Exit, Schema, SchemaIssue } from "effect"
import { BatchRequest } from "./Batch.ts"
import { InvalidBatchError } from "./Errors.ts"

const standard = SchemaIssue.makeFormatterStandardSchemaV1()
const maxIssuesShown = 10

export const formatPath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string =>
  path.reduce<string>((text, segment) => {
    const key = typeof segment === "object" ? segment.key : segment
    return typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`
  }, "")

const rephrase = (message: string): string =>
  message === "Expected no excess property"
    ? "unknown field"
    : message === "Missing key"
    ? "required field is missing"
    : message.replace(/^Expected/, "expected")

/** `path: problem` lines joined by "; "; `root` names the value itself (a request body, an answer). */
export const formatIssue = (issue: SchemaIssue.Issue, root = "body"): string => {
  const issues = standard(issue).issues
  const lines = issues.slice(0, maxIssuesShown).map((i) => {
    const path = formatPath(i.path ?? [])
    return `${path === "" ? root : path}: ${rephrase(i.message)}`
  })
  if (issues.length > maxIssuesShown) lines.push(`… and ${issues.length - maxIssuesShown} more problems`)
  return lines.join("; ")
}

/** Why a decode failed, as `formatIssue` lines; a defect (not a Schema issue) as its own text. */
export const formatCause = (cause: Cause.Cause<unknown>, root = "body"): string => {
  const error = Cause.squash(cause)
  return Schema.isSchemaError(error) ? formatIssue(error.issue, root) : String(error)
}

/**
 * A decoder of untrusted input for `schema`, compiled once: unknown fields are rejected and every
 * problem is reported, as an `InvalidBatchError` whose message names each path (`root` names the
 * value itself: "body" for a request, "arguments" for an MCP tool call). The result is an `Exit`,
 * which is an Effect: yield it, or read it where the caller is synchronous (the CLI's line loop).
 */
export const decodeWith = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, root = "body") => {
  const decode = Schema.decodeUnknownExit(schema, { onExcessProperty: "error", errors: "all" })
  return (input: unknown): Exit.Exit<S["Type"], InvalidBatchError> => {
    const exit = decode(input)
    return Exit.isSuccess(exit)
      ? Exit.succeed(exit.value)
      : Exit.fail(new InvalidBatchError({ message: formatCause(exit.cause, root) }))
  }
}

export const decodeBatchRequest = decodeWith(BatchRequest)
