import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const errorOf = (body: unknown) => (body as { error: string }).error

/** A tree: each node's children are nodes again, one level further down the answer. */
const tree = {
  type: "object",
  properties: {
    name: { type: "string" },
    children: { type: "array", items: { $ref: "#" } }
  },
  required: ["name"],
  additionalProperties: false
}

const endless = [
  ["refers to itself", { $ref: "#" }, "questions[0].response_schema: ", "(# → #)"],
  [
    "has a $defs cycle",
    { $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } } },
    "questions[0].response_schema.$defs.b: ",
    "(#/$defs/a → #/$defs/b → #/$defs/a)"
  ],
  ["has an allOf cycle", { type: "object", allOf: [{ $ref: "#" }] }, "questions[0].response_schema.allOf[0]: ", "(# → #/allOf/0 → #)"],
  [
    "has an anyOf cycle",
    { anyOf: [{ type: "string" }, { $ref: "#" }] },
    "questions[0].response_schema.anyOf[1]: ",
    "(# → #/anyOf/1 → #)"
  ],
  [
    "has a cycle through $id and $anchor",
    {
      $id: "https://example.com/root",
      $defs: { a: { $id: "a.json", $ref: "b.json#B" }, b: { $id: "b.json", $anchor: "B", not: { $ref: "a.json" } } },
      $ref: "a.json"
    },
    "questions[0].response_schema.$defs.b.not: ",
    "(#/$defs/a → #/$defs/b → #/$defs/b/not → #/$defs/a)"
  ]
] as const

describe("recursive response schemas", () => {
  for (const [what, schema, at, cycle] of endless) {
    it.live(`a schema that ${what} without descending into the answer is a 400, before any call`, () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const upstream = yield* FakeUpstream
        const answer = yield* server.post("/ask", { questions: [{ index: 1, question: "q", response_schema: schema }] })
        expect(answer.status).toBe(400)
        expect(errorOf(answer.body)).toContain(at)
        expect(errorOf(answer.body)).toContain(`the schema applies itself to the same value without end ${cycle}`)
        expect(upstream.requests).toHaveLength(0)
      }).pipe(Effect.provide(TestServer.layer())))
  }

  it.live("a tree schema that refers back from inside items validates nested answers", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const answer = { name: "root", children: [{ name: "a", children: [{ name: "b" }] }, { name: "c", children: [] }] }
      upstream.script("tree", { text: JSON.stringify(answer) })
      upstream.script("bad tree", { text: JSON.stringify({ name: "root", children: [{ name: "a", children: [{ name: 7 }] }] }) })
      expect(yield* askOne({ question: "tree", response_schema: tree })).toMatchObject({ status: "success", result: answer })
      const bad = yield* askOne({ question: "bad tree", response_schema: tree, max_validation_retries: 0 })
      expect(bad.error_message).toContain("children[0].children[0].name: expected string")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("an answer nested deeper than validation can go fails its own item, not the batch", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const depth = 20_000
      upstream.always("deep", { text: `${'{"name":"n","children":['.repeat(depth)}${"]}".repeat(depth)}` })
      const item = yield* askOne({ question: "deep", response_schema: tree, max_validation_retries: 0 })
      expect(item.status).toBe("error")
      expect(item.error_message).toContain("answer: nested too deeply to check against the schema")
    }).pipe(Effect.provide(TestServer.layer())))
})
