import { describe, expect, it } from "@effect/vitest"
import { UnknownProviderError } from "../../src/domain/Errors.ts"
import { resolveModel } from "../../src/domain/providers.ts"

describe("model names", () => {
  it("infers the provider of bare names the way LiteLLM does", () => {
    expect(resolveModel("gpt-4o-mini")).toEqual({ provider: "openai", name: "gpt-4o-mini" })
    expect(resolveModel("o3-mini")).toEqual({ provider: "openai", name: "o3-mini" })
    expect(resolveModel("claude-sonnet-4-5")).toEqual({ provider: "anthropic", name: "claude-sonnet-4-5" })
    expect(resolveModel("openrouter/meta-llama/llama-3-70b")).toEqual({
      provider: "openrouter",
      name: "meta-llama/llama-3-70b"
    })
  })

  it("rejects a name it cannot place, listing the known providers", () => {
    const error = resolveModel("llama3")
    expect(error).toBeInstanceOf(UnknownProviderError)
    expect((error as UnknownProviderError).message).toContain("ollama")
  })
})
