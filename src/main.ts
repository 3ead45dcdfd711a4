/** Entry point of `pnpm start`: the HTTP service on its configured (or embedded default) services. */
import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import { AppLayer } from "./app.ts"

Layer.launch(AppLayer).pipe(NodeRuntime.runMain)
