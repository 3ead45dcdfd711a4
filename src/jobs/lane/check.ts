/** What a job on the `batch` lane must be: every question's model at a provider with a batch API, at its own base. */
import { Effect } from "effect"
import type { CheckedItem } from "../../batch/plan.ts"
import { InvalidBatchError, UnknownProviderError } from "../../domain/Errors.ts"
import type { Lane } from "../../domain/Lane.ts"
import { providerNames, providers, resolveModel } from "../../domain/providers.ts"

const withBatchApi = providerNames.filter((name) => providers[name].capabilities.batch).join(", ")

export const batchLaneCheck = (lane: Lane, plan: ReadonlyArray<CheckedItem>, defaultModel: string) =>
  Effect.suspend(() => {
    if (lane !== "batch") return Effect.void
    for (const [position, { item }] of plan.entries()) {
      const model = item.model ?? defaultModel
      const resolved = resolveModel(model)
      const at = `questions[${position}] (index ${item.index})`
      // An unknown provider is the question's own error, as on the sync lane.
      if (resolved instanceof UnknownProviderError) continue
      if (!providers[resolved.provider].capabilities.batch) {
        return Effect.fail(new InvalidBatchError({
          message: `${at}: "lane": "batch" needs a provider with a batch API (${withBatchApi}); ${resolved.provider} has ` +
            `none here: use "lane": "auto" (its questions then go the sync way) or "sync"`
        }))
      }
      if (item.api_base !== undefined) {
        return Effect.fail(new InvalidBatchError({
          message: `${at}: "lane": "batch" sends questions to the provider's configured base: drop api_base, or use "lane": "auto"`
        }))
      }
    }
    return Effect.void
  })
