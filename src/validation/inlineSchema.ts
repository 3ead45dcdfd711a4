/**
 * Inline `response_schema`: a JSON Schema sent with the question, checked against its meta-schema
 * and compiled into a validator with Ajv, once per request. Effect can import JSON Schema too, but
 * it does not check the schema itself (`{"type": "strnig"}` would accept anything), supports a
 * subset, and ignores misspelt keywords; Ajv rejects all three, which is what a caller needs.
 * Before Ajv compiles, the schema's patterns are checked for RE2 (patterns.ts), and refused if
 * it applies itself to the same value without end (schemaGraph.ts): both are 400s with a path.
 */
import { Ajv, type AnySchemaObject, type ErrorObject, type Options, type ValidateFunction } from "ajv"
import { Ajv2020 } from "ajv/dist/2020.js"
import addFormats from "ajv-formats"
import { Predicate, Result } from "effect"
import type { Json } from "effect/Schema"
import { formatPath } from "../domain/decode.ts"
import { compilePattern, isUsablePattern, PatternTooCostly, re2Engine } from "./patterns.ts"
import { schemaGraph } from "./schemaGraph.ts"

const maxErrorsShown = 10

type AjvInstance = Ajv | Ajv2020

/**
 * One shared instance per dialect, made on first use (making one compiles its meta-schemas, tens
 * of milliseconds). `allErrors` so one repair prompt can list every problem; default strictness,
 * so unknown keywords are an error; `logger: false` keeps Ajv's advisory warnings off stdout;
 * patterns run on RE2 (patterns.ts).
 */
const instances = new Map<string, { readonly ajv: AjvInstance; compiles: number }>()
const options: Options = { allErrors: true, logger: false, code: { regExp: re2Engine } }
// A Map, not an object literal: `$schema` is caller input and must not reach `constructor` & co.
const dialects = new Map<string, () => AjvInstance>([
  ["https://json-schema.org/draft/2020-12/schema", () => new Ajv2020(options)],
  ["http://json-schema.org/draft-07/schema", () => new Ajv(options)]
])
const defaultDialect = "https://json-schema.org/draft/2020-12/schema"

/**
 * Ajv keeps every function and pattern it ever compiled in its instance (removeSchema forgets
 * only the schema), about 5 kB per inline schema: an instance is replaced after this many compiles.
 */
const compilesPerInstance = 500

const instanceFor = (dialect: string): AjvInstance | undefined => {
  const existing = instances.get(dialect)
  if (existing !== undefined && existing.compiles < compilesPerInstance) {
    existing.compiles += 1
    return existing.ajv
  }
  const make = dialects.get(dialect)
  if (make === undefined) return undefined
  const created = make()
  addFormats.default(created)
  // ajv-formats checks `regex` with the JavaScript engine, which accepts what RE2 cannot run.
  created.addFormat("regex", isUsablePattern)
  instances.set(dialect, { ajv: created, compiles: 1 })
  return created
}

const pointerSegments = (pointer: string): Array<string | number> =>
  pointer === ""
    ? []
    : pointer.slice(1).split("/").map((raw) => {
      const key = raw.replaceAll("~1", "/").replaceAll("~0", "~")
      return /^\d+$/.test(key) ? Number(key) : key
    })

const describe = (error: ErrorObject): { readonly extra?: string; readonly text: string } => {
  const params: Record<string, unknown> = error.params
  switch (error.keyword) {
    case "required":
      return { extra: String(params["missingProperty"]), text: "required field is missing" }
    case "additionalProperties":
      return { extra: String(params["additionalProperty"]), text: "unknown field" }
    case "type":
      return { text: `expected ${String(params["type"]).split(",").join(" or ")}` }
    case "enum":
      return {
        text: Array.isArray(params["allowedValues"])
          ? `expected one of ${params["allowedValues"].map((value) => JSON.stringify(value)).join(", ")}`
          : "expected one of the allowed values"
      }
    case "const":
      return { text: `expected ${JSON.stringify(params["allowedValue"])}` }
    default:
      return { text: error.message ?? `fails '${error.keyword}'` }
  }
}

/** Ajv errors as `path: problem` lines joined by "; ", in the style of `formatIssue`. */
export const formatAjvErrors = (all: ReadonlyArray<ErrorObject>, root: string): string => {
  // "must match a schema in anyOf" adds nothing when the branches' own errors are listed.
  const errors = all.filter((error) =>
    !(error.keyword === "anyOf" || error.keyword === "oneOf") ||
    !all.some((other) => other !== error && other.instancePath.startsWith(error.instancePath))
  )
  const lines = errors.slice(0, maxErrorsShown).map((error) => {
    const { extra, text } = describe(error)
    const segments = [...pointerSegments(error.instancePath), ...(extra === undefined ? [] : [extra])]
    const path = formatPath(segments)
    return `${path === "" ? root : path}: ${text}`
  })
  if (errors.length > maxErrorsShown) lines.push(`… and ${errors.length - maxErrorsShown} more problems`)
  return lines.join("; ")
}

/** A compiled inline schema. */
export interface InlineSchema {
  readonly jsonSchema: Readonly<Record<string, unknown>>
  /** The answer itself when it matches, or readable `path: problem` lines. */
  readonly validate: (value: Json) => Result.Result<Json, string>
}

/**
 * What Ajv would only find out by running (or not at all): a pattern RE2 cannot run, and a schema
 * that applies itself to the same value without end. Named by their path in the schema.
 */
const unsafeParts = (schema: Readonly<Record<string, unknown>>, path: string): string | undefined => {
  const graph = schemaGraph(schema)
  const at = (keys: ReadonlyArray<string | number>) => [path, formatPath(keys)].filter((part) => part !== "").join(".")
  for (const node of graph.nodes) {
    const pattern = node.schema["pattern"]
    const patternProperties = node.schema["patternProperties"]
    const found: Array<readonly [keyword: string, source: string]> = []
    if (Predicate.isString(pattern)) found.push(["pattern", pattern])
    if (Predicate.isObject(patternProperties)) {
      for (const source of Object.keys(patternProperties)) found.push(["patternProperties", source])
    }
    for (const [keyword, source] of found) {
      const compiled = compilePattern(source)
      if (Result.isFailure(compiled)) return `${at([...node.path(), keyword])}: ${compiled.failure}`
    }
  }
  const cycle = graph.inPlaceCycle()
  if (cycle === undefined) return undefined
  return `${at(cycle.at)}: the schema applies itself to the same value without end ` +
    `(${cycle.cycle.join(" → ")}); a recursive schema must refer back from inside properties, items or the like`
}

/**
 * Runs a compiled validator. A value the budget of a pattern refuses, or one nested deeper than
 * the stack (a tree schema, a hostile answer), fails this answer only, with the reason.
 */
const runValidator = (validate: ValidateFunction, value: Json): Result.Result<Json, string> => {
  try {
    return validate(value) ? Result.succeed(value) : Result.fail(formatAjvErrors(validate.errors ?? [], "answer"))
  } catch (error) {
    if (error instanceof PatternTooCostly) return Result.fail(`answer: ${error.message}`)
    if (error instanceof RangeError) return Result.fail("answer: nested too deeply to check against the schema")
    throw error
  }
}

/** Forgets what compiling registered, so one request's `$id`s never leak into the next one's. */
const compileIsolated = (ajv: AjvInstance, schema: AnySchemaObject): ValidateFunction => {
  const known = new Set([...Object.keys(ajv.schemas), ...Object.keys(ajv.refs)])
  try {
    return ajv.compile(schema)
  } finally {
    ajv.removeSchema(schema)
    for (const key of [...Object.keys(ajv.schemas), ...Object.keys(ajv.refs)]) {
      if (!known.has(key)) ajv.removeSchema(key)
    }
  }
}

/**
 * Checks and compiles a schema; a failure is the caller's mistake, described relative to `path`
 * (e.g. `questions[0].response_schema`).
 */
export const compileInlineSchema = (
  schema: Readonly<Record<string, unknown>>,
  path: string
): Result.Result<InlineSchema, string> => {
  const declared = schema["$schema"]
  const dialect = Predicate.isString(declared) ? declared.replace(/#$/, "") : defaultDialect
  const ajv = instanceFor(dialect)
  if (ajv === undefined) {
    return Result.fail(
      `${path}.$schema: unsupported dialect '${String(declared)}'; use draft 2020-12 (the default) or draft-07`
    )
  }
  let validate: ValidateFunction
  try {
    const copy: AnySchemaObject = structuredClone(schema)
    if (ajv.validateSchema(copy) !== true) {
      return Result.fail(`${path}: not a valid JSON Schema: ${formatAjvErrors(ajv.errors ?? [], "schema")}`)
    }
    const unsafe = unsafeParts(copy, path)
    if (unsafe !== undefined) return Result.fail(unsafe)
    validate = compileIsolated(ajv, copy)
  } catch (error) {
    // Compiling recurses over the schema: a hostile depth ends in a RangeError, not a crash.
    const message = error instanceof RangeError
      ? "the schema is nested too deeply"
      : Predicate.isError(error)
      ? error.message
      : String(error)
    return Result.fail(`${path}: not a usable JSON Schema: ${message}`)
  }
  return Result.succeed({
    jsonSchema: schema,
    validate: (value) => runValidator(validate, value)
  })
}
