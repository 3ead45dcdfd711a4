/**
 * How the CLI ends when it does not succeed. Exit codes are part of the interface:
 * 1 = the batch ran and some item failed, 2 = bad input (file, JSON, batch, flags or settings;
 * for the job commands also an unknown job or a refused key), 3 = the service could not be
 * reached or failed.
 */
import { type Config, Runtime, Schema } from "effect"
import { CliError } from "effect/cli"
import { formatIssue } from "../domain/decode.ts"

/** Bad input: printed by `Command.run` (through `userMessage`) as a clear message on stderr. */
export class BadInputError extends Schema.TaggedError<BadInputError>()("BadInputError", {
  message: Schema.String
}) {
  override readonly [Runtime.errorExitCode] = 2
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The job commands: the service at --url could not be reached, or answered with its own failure. */
export class ServiceError extends Schema.TaggedError<ServiceError>()("ServiceError", {
  message: Schema.String
}) {
  override readonly [Runtime.errorExitCode] = 3
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The batch ran but some items failed; progress output already said which, so nothing is logged. */
export class ItemsFailedError extends Schema.TaggedError<ItemsFailedError>()("ItemsFailedError", {
  failed: Schema.Number,
  total: Schema.Number
}) {
  override readonly [Runtime.errorExitCode] = 1
  override readonly [Runtime.errorReported] = false
}

/**
 * A job's results stream delivered fewer results (or some twice) than the job holds: what was
 * printed is incomplete, so the command fails (exit 3) instead of passing it off as the whole job.
 */
export class MissingResultsError extends Schema.TaggedError<MissingResultsError>()("MissingResultsError", {
  id: Schema.String,
  received: Schema.Number,
  expected: Schema.Number,
  repeated: Schema.Number
}) {
  override readonly [Runtime.errorExitCode] = 3
  override get message() {
    const missing = Math.max(0, this.expected - this.received)
    return `received ${this.received} of the ${this.expected} results of ${this.id}` +
      (missing > 0 ? ` (${missing} missing)` : "") + (this.repeated > 0 ? ` and ${this.repeated} twice` : "") +
      `: the output is incomplete; read them all again with \`llm-batch results ${this.id}\``
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A command line the parser rejected (help and the error are already on stderr). */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {}) {
  override readonly [Runtime.errorExitCode] = 2
  override readonly [Runtime.errorReported] = false
}

/** A setting (flag or environment variable) that `AppConfig` rejected, named by its variable. */
export const invalidSetting = (error: Config.ConfigError): BadInputError =>
  new BadInputError({
    message: `invalid setting: ${Schema.isSchemaError(error.cause) ? formatIssue(error.cause.issue) : error.message}`
  })
