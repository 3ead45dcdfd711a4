/** Entry point of `pnpm start` and the Docker image: turns on Node's compile cache, then starts the service. */
import { enableCompileCache } from "node:module"

// V8's compiled code (and the type-stripped sources) of every module loaded after this line is
// kept on disk, in NODE_COMPILE_CACHE or the OS temp directory: later starts skip most of the
// parsing (docs/performance.md). A cache that cannot be written only costs that speed-up.
enableCompileCache()
// `pnpm start` reads the working directory's `.env` too (the environment wins over it).
const { loadDotEnv } = await import("./config/dotenv.ts")
loadDotEnv()
await import("./start.ts")
