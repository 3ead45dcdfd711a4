// The web console's build. `root` is this folder and the console is served under /console/;
// the caller (scripts/build.ts, test/support/console.ts) passes `build.outDir`.
import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  logLevel: "warn",
  build: {
    emptyOutDir: true,
    // One bundle is fine for a small console; the graph library is the bulk of it.
    chunkSizeWarningLimit: 1024
  }
})
