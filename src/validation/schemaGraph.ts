/**
 * A JSON Schema as a graph, for the checks Ajv does not make before it runs: every subschema with
 * its path, and which subschemas apply to the *same* value (allOf, not, if, `$ref`, …). A cycle of
 * those never reaches a smaller part of the answer, so validating recurses until the stack
 * overflows (`{"$ref": "#"}`); a cycle through properties or items ends with the answer's depth.
 *
 * The walk is iterative, so a hostile depth costs memory, not the stack. (json-schema-traverse,
 * which Ajv uses, predates draft 2020-12's keywords and does not say which keywords stay in place.)
 */
import { Predicate } from "effect"

type Path = ReadonlyArray<string | number>
type SchemaObject = Readonly<Record<string, unknown>>

export interface SchemaNode {
  readonly schema: SchemaObject
  /** Keys from the document root, e.g. `["$defs", "a"]` (worked out on demand: deep schemas stay linear). */
  readonly path: () => Path
  /** Subschemas applied to the same value as this one. */
  readonly inPlace: ReadonlyArray<SchemaObject>
  /** `$ref` and `$dynamicRef` targets, absolute, with a decoded fragment. */
  readonly refs: ReadonlyArray<Address>
  /** `$dynamicRef` anchor names: they may resolve to any `$dynamicAnchor` of that name. */
  readonly dynamicRefs: ReadonlyArray<string>
}

export interface SchemaGraph {
  readonly nodes: ReadonlyArray<SchemaNode>
  /** The node an in-place cycle runs through, with the cycle as JSON pointers; none when acyclic. */
  readonly inPlaceCycle: () => { readonly at: Path; readonly cycle: ReadonlyArray<string> } | undefined
}

export interface Address {
  readonly uri: string
  readonly fragment: string
}

// Keywords whose subschemas apply to the value itself, and those that apply to its parts.
const inPlaceSingle = ["not", "if", "then", "else"]
const inPlaceList = ["allOf", "anyOf", "oneOf"]
const inPlaceMap = ["dependentSchemas", "dependencies"]
const partSingle = [
  "items",
  "additionalItems",
  "contains",
  "additionalProperties",
  "propertyNames",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contentSchema"
]
const partList = ["items", "prefixItems"]
const partMap = ["properties", "patternProperties", "$defs", "definitions"]

/** Only `.invalid` can never be a real schema's address (RFC 2606). */
const documentBase = "https://llm-batch.invalid/schema"

const isSchemaObject = (value: unknown): value is SchemaObject => Predicate.isObject(value) && !Array.isArray(value)

const pointer = (path: Path) =>
  path.map((key) => `/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("")

/** The fragment is percent-decoded, as Ajv compares it. */
const resolve = (reference: string, base: string): Address | undefined => {
  if (!URL.canParse(reference, base)) return undefined
  const url = new URL(reference, base)
  const hash = url.hash.slice(1)
  url.hash = ""
  let fragment = hash
  try {
    fragment = decodeURIComponent(hash)
  } catch {
    // A malformed escape: compared as written, so it resolves to nothing and Ajv reports it.
  }
  return { uri: url.href, fragment }
}

/** Follows a JSON pointer through the raw JSON, as Ajv does for `#/…` fragments. */
const follow = (from: unknown, jsonPointer: string): unknown => {
  let at = from
  for (const raw of jsonPointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~")
    if (!Predicate.isObject(at) || !Object.hasOwn(at, key)) return undefined
    at = Reflect.get(at, key)
  }
  return at
}

interface Frame {
  readonly value: SchemaObject
  readonly parent: Frame | undefined
  readonly keys: Path
  /** The enclosing resource (`$id`). */
  readonly base: string
}

const pathOf = (frame: Frame): Path => {
  const segments: Array<Path> = []
  for (let at: Frame | undefined = frame; at !== undefined; at = at.parent) segments.push(at.keys)
  return segments.reverse().flat()
}

export const schemaGraph = (root: SchemaObject): SchemaGraph => {
  const nodes: Array<SchemaNode> = []
  const resources = new Map<string, SchemaObject>([[documentBase, root]])
  const anchors = new Map<string, SchemaObject>()
  const byDynamicAnchor = new Map<string, Array<SchemaObject>>()
  const nodeOf = new Map<SchemaObject, SchemaNode>()
  const stack: Array<Frame> = [{ value: root, parent: undefined, keys: [], base: documentBase }]

  while (stack.length > 0) {
    const frame = stack.pop()!
    const schema = frame.value
    if (nodeOf.has(schema)) continue
    let base = frame.base
    const id = schema["$id"]
    const identified = Predicate.isString(id) ? resolve(id, base) : undefined
    if (Predicate.isString(id) && identified !== undefined) {
      // Draft-07 allows `$id: "#name"`, an anchor; anything else starts a resource.
      if (!id.startsWith("#")) {
        base = identified.uri
        resources.set(base, schema)
      }
      if (identified.fragment !== "") anchors.set(`${identified.uri}#${identified.fragment}`, schema)
    }
    for (const keyword of ["$anchor", "$dynamicAnchor"]) {
      const anchor = schema[keyword]
      if (Predicate.isString(anchor)) anchors.set(`${base}#${anchor}`, schema)
    }
    const dynamicAnchor = schema["$dynamicAnchor"]
    if (Predicate.isString(dynamicAnchor)) {
      byDynamicAnchor.set(dynamicAnchor, [...(byDynamicAnchor.get(dynamicAnchor) ?? []), schema])
    }

    const inPlace: Array<SchemaObject> = []
    const visit = (value: unknown, keys: Path, applies: "inPlace" | "part") => {
      if (!isSchemaObject(value)) return
      if (applies === "inPlace") inPlace.push(value)
      stack.push({ value, parent: frame, keys, base })
    }
    for (const [keyword, value] of Object.entries(schema)) {
      const applies = inPlaceSingle.includes(keyword) || inPlaceList.includes(keyword) || inPlaceMap.includes(keyword)
        ? "inPlace"
        : "part"
      if (Array.isArray(value) && (inPlaceList.includes(keyword) || partList.includes(keyword))) {
        value.forEach((item, index) => visit(item, [keyword, index], applies))
      } else if (inPlaceSingle.includes(keyword) || partSingle.includes(keyword)) {
        visit(value, [keyword], applies)
      } else if ((inPlaceMap.includes(keyword) || partMap.includes(keyword)) && isSchemaObject(value)) {
        for (const [name, sub] of Object.entries(value)) visit(sub, [keyword, name], applies)
      }
    }

    const refs: Array<Address> = []
    const dynamicRefs: Array<string> = []
    for (const keyword of ["$ref", "$dynamicRef"]) {
      const reference = schema[keyword]
      const resolved = Predicate.isString(reference) ? resolve(reference, base) : undefined
      if (resolved === undefined) continue
      refs.push(resolved)
      if (keyword === "$dynamicRef" && !resolved.fragment.startsWith("/")) dynamicRefs.push(resolved.fragment)
    }
    const node: SchemaNode = { schema, path: () => pathOf(frame), inPlace, refs, dynamicRefs }
    nodes.push(node)
    nodeOf.set(schema, node)
  }

  const target = ({ fragment, uri }: Address): unknown =>
    fragment === "" || fragment.startsWith("/")
      ? follow(resources.get(uri), fragment)
      : anchors.get(`${uri}#${fragment}`)

  const successors = (node: SchemaNode): Array<SchemaNode> => {
    const targets: Array<unknown> = [...node.inPlace, ...node.refs.map(target)]
    for (const name of node.dynamicRefs) targets.push(...(byDynamicAnchor.get(name) ?? []))
    return targets.flatMap((schema) => isSchemaObject(schema) ? nodeOf.get(schema) ?? [] : [])
  }

  /** Depth-first with an explicit stack; a successor still on the stack closes a cycle. */
  const inPlaceCycle = () => {
    const done = new Set<SchemaNode>()
    for (const start of nodes) {
      if (done.has(start)) continue
      const trail: Array<{ readonly node: SchemaNode; readonly next: Array<SchemaNode> }> = [
        { node: start, next: successors(start) }
      ]
      const onTrail = new Set([start])
      while (trail.length > 0) {
        const top = trail[trail.length - 1]!
        const next = top.next.pop()
        if (next === undefined) {
          trail.pop()
          onTrail.delete(top.node)
          done.add(top.node)
        } else if (onTrail.has(next)) {
          const from = trail.findIndex((step) => step.node === next)
          const cycle = [...trail.slice(from).map((step) => step.node), next].map((step) => `#${pointer(step.path())}`)
          return { at: top.node.path(), cycle }
        } else if (!done.has(next)) {
          trail.push({ node: next, next: successors(next) })
          onTrail.add(next)
        }
      }
    }
    return undefined
  }

  return { nodes, inPlaceCycle }
}
