/** Starts the HTTP service on its configured (or embedded default) services; `src/main.ts` loads it. */
import { AppLayer } from "./app.ts"
import { runMain, runServer } from "./launch.ts"

runMain(runServer(AppLayer))
