/**
 * No Docker engine runs in CI, so the image recipe is proven another way: its invariants are read
 * off the Dockerfile, and its stages are replayed in a clean directory — the same COPYs from the
 * build context (what git would ship, minus .dockerignore), the same install command, the same
 * ENV and CMD — and the started service must pass the image's own HEALTHCHECK and stop on SIGTERM.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { repoRoot } from "../support/Cli.ts"
import { freePortPromise } from "../support/ports.ts"
import { copyOf, dockerIgnore, envOf, execForm, healthcheckOf, parseDockerfile, type Stage, stagesOf } from "./dockerfile.ts"

const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8")
const stages = stagesOf(parseDockerfile(dockerfile))
const finalStage = stages.at(-1)!
const packageJson = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  packageManager: string
  scripts: { start: string }
}
const pinnedPnpm = packageJson.packageManager.replace(/^pnpm@/, "")

const argsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)

/** The stage a `COPY --from=` names, by name or position. */
const stageNamed = (from: string) => stages.find((stage, position) => stage.name === from || String(position) === from)

describe("Dockerfile", () => {
  it("builds on the Node 24 slim image in more than one stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    for (const stage of stages) expect(stage.image).toMatch(/^node:24(?:\.[\d.]+)?-(?:bookworm-|trixie-)?slim$/)
  })

  it("installs with the lockfile at the pinned pnpm version and ships only the bundle", () => {
    const runs = stages.flatMap((stage) => argsOf(stage, "RUN"))
    const installs = runs.filter((run) => /\bpnpm install\b/.test(run))
    expect(installs.length).toBeGreaterThan(0)
    for (const install of installs) expect(install).toMatch(/--frozen-lockfile\b/)
    // pnpm is installed from package.json's packageManager pin (the replay below checks the version).
    expect(runs.some((run) => /npm install --global .*pnpm@/.test(run))).toBe(true)
    // The final image copies dist/ from the stage that runs `pnpm build`, and nothing else: no
    // node_modules, no sources...
    const copies = argsOf(finalStage, "COPY").map(copyOf)
    expect(copies.map((copy) => copy.sources)).toEqual([["/app/dist"], ["/app/data"]])
    expect(argsOf(stageNamed(copies[0]!.from!)!, "RUN")).toContain("pnpm build")
    // ...and has no package manager step of its own.
    expect(argsOf(finalStage, "RUN").filter((run) => /pnpm|npm install/.test(run))).toEqual([])
  })

  it("runs as a non-root user, listens on 0.0.0.0:8000 and checks /health with node", () => {
    const user = argsOf(finalStage, "USER").at(-1)
    expect(user).toBeDefined()
    expect(user).not.toMatch(/^(root|0)(:|$)/)
    const env = Object.fromEntries(argsOf(finalStage, "ENV").flatMap(envOf))
    expect(env.HOST).toBe("0.0.0.0")
    expect(argsOf(finalStage, "EXPOSE")).toContain("8000")
    const healthcheck = healthcheckOf(argsOf(finalStage, "HEALTHCHECK").at(-1) ?? "")
    expect(healthcheck?.command?.[0]).toBe("node")
    expect(healthcheck?.command?.join(" ")).toContain("/health")
    // The slim image has neither; a probe that needs them would always fail.
    const commands = stages.flatMap((stage) => stage.instructions.map((instruction) => instruction.args))
    expect(commands.filter((args) => /\bcurl\b|\bwget\b/.test(args))).toEqual([])
  })

  it("keeps the job store (DATA_DIR ./data under WORKDIR) on a volume the service user owns", () => {
    const workdir = argsOf(finalStage, "WORKDIR").at(-1)
    const dataCopy = argsOf(finalStage, "COPY").find((args) => copyOf(args).sources.includes("/app/data"))
    const user = argsOf(finalStage, "USER").at(-1)
    expect(copyOf(dataCopy ?? "").destination).toBe("./data")
    expect(dataCopy).toContain(`--chown=${user}:${user}`)
    expect(argsOf(finalStage, "VOLUME").map((args) => execForm(args))).toEqual([[`${workdir}/data`]])
    // The image sets no DATA_DIR: the default ./data is the volume.
    expect(Object.fromEntries(argsOf(finalStage, "ENV").flatMap(envOf)).DATA_DIR).toBeUndefined()
  })

  it("starts node directly in exec form so SIGTERM reaches it", () => {
    const cmds = argsOf(finalStage, "CMD")
    expect(cmds).toHaveLength(1)
    // The same command as `pnpm start`, so the image runs what the bench and the README measure.
    expect(execForm(cmds[0]!)).toEqual(packageJson.scripts.start.split(" "))
    expect(argsOf(finalStage, "ENTRYPOINT")).toEqual([])
  })

  it(".dockerignore keeps dependencies, secrets and tests out of the build context", () => {
    const ignored = dockerIgnore(readFileSync(join(repoRoot, ".dockerignore"), "utf8"))
    for (const path of ["node_modules/effect/package.json", ".env", ".env.local", "test/http/ask.test.ts", ".git/HEAD", ".tools/node", "data/llm-batch.sqlite"]) {
      expect(ignored(path), path).toBe(true)
    }
    const kept = [
      ...["package.json", "pnpm-lock.yaml", "tsconfig.json", "scripts/build.ts", "src/main.ts", "src/cli/main.ts"],
      ...["web/index.html", "web/vite.config.ts"]
    ]
    for (const path of kept) {
      expect(ignored(path), path).toBe(false)
    }
  })
})

const freePort = freePortPromise

/** The build context: files git would ship (tracked or new, not ignored), minus .dockerignore. */
const makeContext = (into: string) => {
  const ignored = dockerIgnore(readFileSync(join(repoRoot, ".dockerignore"), "utf8"))
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
    cwd: repoRoot,
    encoding: "utf8"
  }).split("\0").filter((path) => path !== "" && !ignored(path) && existsSync(join(repoRoot, path)))
  for (const path of files) {
    mkdirSync(dirname(join(into, path)), { recursive: true })
    cpSync(join(repoRoot, path), join(into, path))
  }
}

/** A directory with an `npm` that appends its arguments to `npm-calls` next to it. */
const npmShim = (root: string) => {
  const dir = join(root, "shim")
  if (!existsSync(dir)) {
    mkdirSync(dir)
    writeFileSync(join(dir, "npm"), `#!/bin/sh\necho "$@" >> "${join(dir, "npm-calls")}"\n`, { mode: 0o755 })
  }
  return dir
}

const npmCalls = (root: string) => {
  const file = join(root, "shim", "npm-calls")
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : []
}

/** Replays every stage: WORKDIR is a fresh directory per stage, COPY copies, RUN runs in sh. */
const replayStages = (root: string) => {
  const context = join(root, "context")
  makeContext(context)
  // Each stage's WORKDIR becomes its own directory; an absolute `--from` path is read relative to it.
  const stageDirs: Array<{ dir: string; workdir: string }> = []
  let env: Record<string, string> = {}
  for (const [position, stage] of stages.entries()) {
    const dir = join(root, `stage-${position}`)
    mkdirSync(dir)
    const workdir = argsOf(stage, "WORKDIR").at(-1) ?? "/"
    stageDirs.push({ dir, workdir })
    env = {}
    for (const { keyword, args } of stage.instructions) {
      if (keyword === "ENV") Object.assign(env, Object.fromEntries(envOf(args)))
      if (keyword === "COPY") {
        const copy = copyOf(args)
        const origin = copy.from === undefined ? undefined : stageDirs[stages.indexOf(stageNamed(copy.from)!)]!
        for (const path of copy.sources) {
          const from = origin === undefined ? context : origin.dir
          const source = origin !== undefined && path.startsWith(`${origin.workdir}/`) ? path.slice(origin.workdir.length + 1) : path
          // Docker's rules: a file copied to "dir/" keeps its name there; a directory's contents are
          // copied into the destination.
          const isFile = statSync(join(from, source)).isFile()
          const target = isFile && copy.destination.endsWith("/") ? join(dir, copy.destination, basename(source)) : join(dir, copy.destination)
          // verbatimSymlinks: pnpm's node_modules is relative symlinks into node_modules/.pnpm.
          cpSync(join(from, source), target, { recursive: true, verbatimSymlinks: true })
        }
      }
      if (keyword === "RUN") {
        // --prefer-offline: CI may have no registry; the store already holds the locked packages.
        const command = args.replace(/\bpnpm install\b/, "pnpm install --prefer-offline --reporter=silent")
        // `npm` is a shim that records what it was asked to install globally instead of doing it;
        // the pnpm that then runs is this toolchain's, checked to be the same version.
        const path = `${npmShim(root)}:${process.env.PATH ?? ""}`
        const result = spawnSync("sh", ["-c", command], { cwd: dir, env: { ...process.env, ...env, PATH: path }, encoding: "utf8" })
        expect(result.status, `RUN ${args}\n${result.stdout}\n${result.stderr}`).toBe(0)
      }
    }
  }
  return { runtimeDir: stageDirs.at(-1)!.dir, env }
}

const untilHealthy = async (url: string, deadline: number): Promise<Response> => {
  for (;;) {
    try {
      const response = await fetch(url)
      if (response.ok) return response
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 in time`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe("the Dockerfile's commands, replayed in a clean directory", () => {
  it.live("install, build, start the bundle, pass HEALTHCHECK, serve the console, stop on SIGTERM", () =>
    Effect.promise(async () => {
      const pnpmVersion = execFileSync("pnpm", ["--version"], { encoding: "utf8" }).trim()
      expect(pnpmVersion).toBe(pinnedPnpm)
      const root = mkdtempSync(join(tmpdir(), "llm-batch-image-"))
      try {
        const { runtimeDir, env } = replayStages(root)
        // The image's pnpm is the version package.json pins.
        expect(npmCalls(root)).toEqual([`install --global --no-audit --no-fund pnpm@${pinnedPnpm}`])
        // The bundle alone: the service runs with no node_modules to fall back on.
        expect(readdirSync(runtimeDir).sort()).toEqual(["data", "dist"])
        expect(existsSync(join(runtimeDir, "dist", "main.js"))).toBe(true)
        // The web console, built by Vite in the build stage, beside the bundle.
        expect(existsSync(join(runtimeDir, "dist", "console", "index.html"))).toBe(true)

        const port = await freePort()
        // Only what the image has: its ENV, plus PATH for node. No keys, no Redis.
        const runEnv = { PATH: process.env.PATH ?? "", HOME: runtimeDir, ...env, PORT: String(port) }
        const [command, ...args] = execForm(argsOf(finalStage, "CMD")[0]!)!
        const server = spawn(command === "node" ? process.execPath : command!, args, { cwd: runtimeDir, env: runEnv })
        let log = ""
        server.stdout.on("data", (chunk) => (log += chunk))
        server.stderr.on("data", (chunk) => (log += chunk))
        const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)))
        try {
          const health = await untilHealthy(`http://127.0.0.1:${port}/health`, Date.now() + 90_000)
          expect(await health.json()).toMatchObject({ status: "ok" })
          const page = await fetch(`http://127.0.0.1:${port}/`)
          expect(page.status).toBe(200)
          expect(page.headers.get("content-type")).toContain("text/html")

          const [probe, ...probeArgs] = healthcheckOf(argsOf(finalStage, "HEALTHCHECK").at(-1)!)!.command!
          const check = spawnSync(probe === "node" ? process.execPath : probe!, probeArgs, { env: runEnv, encoding: "utf8" })
          expect(check.status, check.stderr).toBe(0)
          // The job store went to the image's data directory (the volume).
          expect(existsSync(join(runtimeDir, "data", "llm-batch.sqlite"))).toBe(true)
        } finally {
          server.kill("SIGTERM")
        }
        expect(await exited, log).toBe(0)
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    }), 300_000)
})
