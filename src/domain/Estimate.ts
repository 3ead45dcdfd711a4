/**
 * What a job would cost and how long it would take, answered before anything is sent
 * (`POST /batches/estimate`, MCP `batch_estimate`, RPC `Estimate`, `llm-batch estimate`; docs/jobs.md,
 * *Estimates*). One Schema for every surface.
 */
import { Schema } from "effect"
import { Lane } from "./Lane.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Usd = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

export const TokenRange = Schema.Struct({
  min: Count.annotate({ description: "Every `{Q<n>_result}` placeholder filled with nothing" }),
  max: Count.annotate({ description: "Every `{Q<n>_result}` placeholder filled with its question's max_tokens" })
})
export type TokenRange = typeof TokenRange.Type

export const CostRange = Schema.Struct({
  min: Usd.annotate({ description: "The prompts alone (no completion token)" }),
  max: Usd.annotate({ description: "The prompts (their max) plus every question's max_tokens of completion" })
})
export type CostRange = typeof CostRange.Type

export const LaneCosts = Schema.Struct({
  sync: Schema.NullOr(CostRange).annotate({ description: "At the provider's ordinary prices; null when a price is unknown" }),
  batch: Schema.NullOr(CostRange).annotate({
    description: "At batch prices (MODEL_PRICES' batch_*_per_mtok, else half the price); null when a price is unknown"
  })
})
export type LaneCosts = typeof LaneCosts.Type

export const TokenCount = Schema.Literals(["exact", "approximate"]).annotate({
  description: "`exact`: counted with the model's own tokenizer, chat framing included; `approximate`: chars/4, " +
    "or a native response format whose schema the provider bills in a way it does not publish"
})
export type TokenCount = typeof TokenCount.Type

export const Latency = Schema.Struct({
  seconds: Usd.annotate({ description: "The typical time of one call" }),
  source: Schema.Literals(["observed", "default"]).annotate({
    description: "`observed`: the mean of this model's answered calls in this service process; `default`: none " +
      "seen yet, the stated default"
  }),
  samples: Count.annotate({ description: "Answered calls the observed mean is over (0 for the default)" })
})
export type Latency = typeof Latency.Type

export const ModelEstimate = Schema.Struct({
  model: Schema.String.annotate({ description: "`provider/model`" }),
  questions: Count,
  prompt_tokens: TokenRange,
  prompt_tokens_count: TokenCount,
  tokenizer: Schema.String.annotate({ description: "`o200k_base`, `cl100k_base` (OpenAI's encodings) or `chars/4`" }),
  completion_tokens_max: Count.annotate({ description: "The sum of its questions' max_tokens" }),
  cost_usd: LaneCosts,
  batch_api: Schema.Boolean.annotate({ description: "Whether the model's provider has a batch API (lane `batch`)" }),
  latency: Latency
})
export type ModelEstimate = typeof ModelEstimate.Type

export const EtaRange = Schema.Struct({
  min_seconds: Usd,
  max_seconds: Usd,
  basis: Schema.String.annotate({ description: "What bounds it, in words" })
})
export type EtaRange = typeof EtaRange.Type

export const BudgetCheck = Schema.Struct({
  max_cost_usd: Usd,
  lower_bound_usd: Usd.annotate({ description: "The least the job can cost on its lane: its prompts alone" }),
  exceeded: Schema.Boolean.annotate({
    description: "The lower bound already exceeds max_cost_usd: `POST /batches` refuses the job (400)"
  })
})
export type BudgetCheck = typeof BudgetCheck.Type

export const JobEstimate = Schema.Struct({
  questions: Count,
  lane: Lane,
  waves: Count.annotate({ description: "The longest chain of `{Q<n>_result}` and `sequential` dependencies" }),
  prompt_tokens: TokenRange,
  completion_tokens_max: Count,
  cost_usd: LaneCosts,
  unpriced_models: Schema.Array(Schema.String).annotate({
    description: "Models without a known price (MODEL_PRICES or the price table): the lanes' costs are null"
  }),
  eta: Schema.Struct({
    sync: EtaRange,
    batch: Schema.NullOr(EtaRange).annotate({ description: "null when a model's provider has no batch API" })
  }),
  budget: Schema.NullOr(BudgetCheck).annotate({ description: "Only with max_cost_usd" }),
  models: Schema.Array(ModelEstimate),
  notes: Schema.Array(Schema.String).annotate({ description: "What the estimate leaves out" })
}).annotate({ identifier: "JobEstimate" })
export type JobEstimate = typeof JobEstimate.Type
