/**
 * A question per row: `{{column}}` is replaced by the row's value of that column. `{Q<n>_result}`
 * (single braces) is left for the engine, as in any question.
 */
const placeholder = /\{\{\s*([^{}]+?)\s*\}\}/g

/** The columns a template names, in order, each once. */
export const templateColumns = (template: string): Array<string> =>
  [...new Set([...template.matchAll(placeholder)].map((match) => match[1]!))]

/** A value as it goes into a prompt: text as is, anything else as JSON. */
const asText = (value: unknown): string =>
  typeof value === "string"
    ? value
    : typeof value === "bigint" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : value instanceof Date
    ? value.toISOString()
    : JSON.stringify(value)

export type Rendered = { readonly _tag: "Prompt"; readonly text: string } | { readonly _tag: "Missing"; readonly columns: Array<string> }

/** The last template's columns: a dataset renders one template for every row, parsed once. */
let parsed: { readonly template: string; readonly columns: ReadonlyArray<string> } | undefined
const columnsOf = (template: string): ReadonlyArray<string> =>
  parsed?.template === template ? parsed.columns : (parsed = { template, columns: templateColumns(template) }).columns

/** The row's prompt, or the template's columns the row lacks (absent or null). */
export const render = (template: string, values: Readonly<Record<string, unknown>>): Rendered => {
  const missing = columnsOf(template).filter((column) => values[column] === undefined || values[column] === null)
  if (missing.length > 0) return { _tag: "Missing", columns: missing }
  return { _tag: "Prompt", text: template.replace(placeholder, (_, column: string) => asText(values[column])) }
}
