/** Decodes untrusted input into a `BatchRequest`, with errors that name the field path. */
import { Cause, Effect, Exit, Schema, SchemaIssue } from "effect"
import { BatchRequest } from "./Batch.ts"
import { InvalidBatchError } from "./Errors.ts"

const decode = Schema.decodeUnknownExit(BatchRequest, { onExcessProperty: "error", errors: "all" })
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

export const decodeBatchRequest = (input: unknown): Effect.Effect<BatchRequest, InvalidBatchError> => {
  const exit = decode(input)
  if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
  const error = Cause.squash(exit.cause)
  return Effect.fail(
    new InvalidBatchError({ message: Schema.isSchemaError(error) ? formatIssue(error.issue) : String(error) })
  )
}
