/**
 * The question an upstream call is made for: the engine sets it around each question, `LlmClient`
 * takes its slots for the question's batch and counts its attempts here as they start, so a
 * question cut short by the batch deadline or a shutdown still reports the calls it made.
 */
import { Context } from "effect"
import type { SlotClaim } from "./slots.ts"

export interface CallAccount {
  /** The batch's claim on upstream slots (see slots.ts). */
  readonly batch: SlotClaim
  /** Upstream attempts started so far, transport retries included. */
  attempts: number
  /** The question's index, in a run that has one (the batch lane names its lines by it). */
  readonly index?: number | undefined
}

/** Calls made outside a batch share one claim. */
export const CurrentCall = Context.Reference<CallAccount>("llm-batch/CurrentCall", {
  defaultValue: () => ({ batch: { caller: "" }, attempts: 0 })
})
