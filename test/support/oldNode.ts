/**
 * Runs a file on a Node older than the bundle needs: the machine's `/usr/bin/node` when it is one
 * (Debian's is 20), otherwise this Node told it is 20.0.0, so the version check is tested anywhere.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname } from "node:path"

const systemNode = "/usr/bin/node"

const tooOld = (version: string): boolean => {
  const [major = 0, minor = 0] = version.split(".").map(Number)
  return major < 22 || (major === 22 && minor < 18)
}

const systemVersion = existsSync(systemNode)
  ? spawnSync(systemNode, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim()
  : ""

/** The `node` an old-Node run uses, and the environment that makes it old. */
const old = systemVersion !== "" && tooOld(systemVersion)
  ? { node: systemNode, env: {} }
  : {
    node: process.execPath,
    env: { NODE_OPTIONS: `--import=data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.0.0"})` }
  }

/**
 * `node file args` on the old Node; with `shebang`, the file runs as an executable (an installed
 * bin) and finds `node` on PATH.
 */
export const runOnOldNode = (file: string, args: ReadonlyArray<string>, options: { readonly shebang?: boolean } = {}) => {
  const env = { ...old.env, PATH: `${dirname(old.node)}:${process.env.PATH ?? ""}` }
  const run = options.shebang === true
    ? spawnSync(file, args, { env, encoding: "utf8", timeout: 30_000 })
    : spawnSync(old.node, [file, ...args], { env, encoding: "utf8", timeout: 30_000 })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}
