/**
 * The load of `bench/instructions.sh`: `count` single-question POST /ask requests (a new question
 * each, so the cache never answers), `concurrency` at a time; a failed request is sent again.
 *
 *   node bench/instructionsLoad.ts <port> <count> <concurrency> <tag>   → {"ok", "failed"}
 */
const [port = "8000", count = "100", concurrency = "32", tag = "x"] = process.argv.slice(2)

let next = 0
let ok = 0
let failed = 0

const ask = async (n: number): Promise<boolean> => {
  const response = await fetch(`http://127.0.0.1:${port}/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ questions: [{ index: 1, question: `instructions ${tag} ${n}` }] })
  })
  return response.status === 200 && (await response.text()).includes('"success"')
}

const worker = async () => {
  while (next < Number(count)) {
    const n = next++
    for (let tries = 0; tries < 5; tries++) {
      if (await ask(n).catch(() => false)) {
        ok += 1
        break
      }
      failed += 1
    }
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, worker))
process.stdout.write(`${JSON.stringify({ ok, failed })}\n`)
