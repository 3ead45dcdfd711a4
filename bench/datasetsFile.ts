/** The datasets scenario's input: a CSV of reviews, every tenth with quotes, a comma and a line break in its text. */
import { once } from "node:events"
import { createWriteStream } from "node:fs"

export const writeReviewsCsv = async (path: string, rows: number) => {
  const file = createWriteStream(path)
  file.write("id,text,stars\n")
  for (let i = 1; i <= rows; i++) {
    const text = i % 10 === 0 ? `"Broke after\ntwo days, ""cheap"" (#${i})"` : `"Great product, would buy again (#${i})"`
    if (!file.write(`r${i},${text},${i % 5 + 1}\n`)) await once(file, "drain")
  }
  file.end()
  await once(file, "close")
}
