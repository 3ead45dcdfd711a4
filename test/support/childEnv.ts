/**
 * What a process a test starts inherits besides what the test gives it: Node's compile cache
 * (NODE_COMPILE_CACHE, set by vitest.config.ts), so `node src/…` compiles and strips its modules
 * once per machine instead of once per process. It changes how fast a child starts, nothing else.
 */
export const compileCacheEnv = (): Record<string, string> =>
  process.env.NODE_COMPILE_CACHE === undefined ? {} : { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE }
