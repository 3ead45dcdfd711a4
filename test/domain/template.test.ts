/** `llm-batch run`'s template: `{{column}}` from the row, `{Q<n>_result}` left for the engine, missing columns named. */
import { describe, expect, it } from "@effect/vitest"
import { render, templateColumns } from "../../src/domain/template.ts"

describe("a dataset template", () => {
  it("fills {{column}} (spaces allowed) and leaves {Q<n>_result} for the engine", () => {
    expect(render("Review: {{ text }} ({{stars}}★) after {Q1_result}", { text: "Great, \"really\"", stars: 5 })).toEqual({
      _tag: "Prompt",
      text: "Review: Great, \"really\" (5★) after {Q1_result}"
    })
  })

  it("writes values that are not text as JSON", () => {
    expect(render("{{tags}} {{ok}} {{n}}", { tags: ["a", "b"], ok: false, n: 10n })).toEqual({ _tag: "Prompt", text: "[\"a\",\"b\"] false 10" })
  })

  it("names every column the row lacks or holds null, an empty string being a value", () => {
    expect(render("{{a}} {{b}} {{c}} {{a}}", { b: null, c: "" })).toEqual({ _tag: "Missing", columns: ["a", "b"] })
    expect(templateColumns("{{a}} {{b}} {{a}} {Q2_result}")).toEqual(["a", "b"])
  })
})
