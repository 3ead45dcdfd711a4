/**
 * `node test/support/followers.ts URL N`: N readers of `URL` (a job's results, followed), each
 * reading as fast as it is sent. Prints `streaming` once each has received its first bytes, then
 * each reader's byte count (JSON) every 200 ms. A process of its own, so that the readers' work
 * is not the measuring test's (on a 2-core machine it still competes for the CPU).
 */
import { Agent, request } from "node:http"

const [url, count] = [process.argv[2]!, Number(process.argv[3])]
const agent = new Agent({ keepAlive: false, maxSockets: count })
const received = new Array<number>(count).fill(0)
let announced = false
for (let reader = 0; reader < count; reader++) {
  request(url, { agent }, (res) => {
    res.on("data", (chunk: Buffer) => {
      received[reader]! += chunk.length
      if (!announced && received.every((bytes) => bytes > 0)) {
        announced = true
        process.stdout.write("streaming\n")
      }
    })
  }).on("error", (error) => process.stderr.write(`reader ${reader}: ${error.message}\n`)).end()
}
setInterval(() => process.stdout.write(`${JSON.stringify(received)}\n`), 200)
// Ends with its parent: stdin closes then.
process.stdin.on("end", () => process.exit(0)).resume()
