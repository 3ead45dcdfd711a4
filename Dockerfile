# llm-batch service image.
#   docker build -t llm-batch .
#   docker run --rm -p 127.0.0.1:8000:8000 --env-file .env -v llm-batch-data:/app/data llm-batch
# (the named volume keeps batch jobs across containers; without it each container has its own).
# The image holds only the bundle `pnpm build` makes (dist/: the service, the CLI and every
# dependency in a few files, and the web console in dist/console), so it needs no node_modules. test/ship/dockerfile.test.ts checks this
# recipe and runs its install, build and start commands in a clean directory (CI has no Docker engine).

# ---- build: every dependency as locked (esbuild is a dev dependency), then the bundle ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json pnpm-lock.yaml ./
# The committed `pnpm patch`es of dependencies (repo_docs/gotchas.md) are applied at install.
COPY patches ./patches
# pnpm at the version package.json pins ("packageManager"), as scripts/toolchain.sh does; npm
# rather than corepack, which Node 25 no longer bundles.
RUN npm install --global --no-audit --no-fund "pnpm@$(node -p 'require("./package.json").packageManager.split("@")[1]')"
# --ignore-scripts: the package's `prepare` builds dist/, which needs the sources copied below.
RUN pnpm install --frozen-lockfile --ignore-scripts
COPY tsconfig.json tsconfig.client.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
# The web console's sources: Vite builds them into dist/console.
COPY web ./web
RUN pnpm build
# The batch job store's directory (DATA_DIR, by default ./data: /app/data), empty, for the runtime.
RUN mkdir -p data

# ---- runtime: the bundle only: no node_modules, no pnpm, not root ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
# Root-owned and read-only to the service user: the app never writes to its own files (Node's
# compile cache goes to the OS temp directory).
COPY --from=build /app/dist ./dist
# The one directory the service writes: batch jobs' embedded SQLite store. A volume, so jobs
# survive the container (docker-compose.yml names it); a new volume starts as this directory,
# owned by the service user.
COPY --from=build --chown=node:node /app/data ./data
VOLUME ["/app/data"]
# "node" (uid 1000) is the unprivileged user of the official image.
USER node
EXPOSE 8000
# The slim image has no curl; Node's fetch does the probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself; the service then stops accepting,
# finishes in-flight requests and exits 0. The same command as `pnpm start` (checked by the test):
# a 16 MB young generation keeps peak memory down at no measured cost in throughput.
CMD ["node", "--max-semi-space-size=16", "--max-old-space-size=256", "dist/main.js"]
