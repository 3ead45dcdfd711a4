/**
 * Questions as JSONL: one `QuestionItem` per line, the shape `POST /batches` takes with
 * `content-type: application/jsonl` and `llm-batch ask|submit` read from a file. A line without
 * `index` gets its 1-based line number (repo_docs/contract.md, *Batch jobs*). Every problem names
 * its line.
 */
import { Cause, Exit, Option, Result } from "effect"
import { QuestionItem } from "./Batch.ts"
import { decodeWith } from "./decode.ts"
import { jsonValuesIn } from "./jsonValues.ts"

export interface JsonlQuestions {
  readonly questions: ReadonlyArray<QuestionItem>
  /** The 1-based line of each question, by position, so later messages can name lines. */
  readonly lines: ReadonlyArray<number>
}

const maxLineErrors = 10

const decodeItem = decodeWith(QuestionItem)

/** A JSON object (not an array, not null). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `JSON.parse` as an Exit: a bad line is data, not an exception. */
export const parseJson = (text: string): Exit.Exit<unknown, SyntaxError> => {
  try {
    return Exit.succeed(JSON.parse(text))
  } catch (error) {
    return Exit.fail(error instanceof SyntaxError ? error : new SyntaxError(String(error)))
  }
}

/**
 * Reads JSONL questions as the text arrives, a piece at a time (`POST /batches` streams its body
 * through it): complete lines are decoded at once, so only the questions are kept, never the text.
 * Past `maxQuestions` it stops keeping anything and says so (`full`): the reader of the body stops
 * there, however long the body is.
 */
export class JsonlQuestionReader {
  private readonly questions: Array<QuestionItem> = []
  private readonly lines: Array<number> = []
  private readonly problems: Array<string> = []
  private problemCount = 0
  /** The unfinished last line, in pieces: joining on every piece would copy a long line again and again. */
  private pending: Array<string> = []
  private lineNumber = 0
  /** Lines that are not blank: questions, good or bad. */
  private counted = 0
  private started = false
  private values = 0
  /** Past a limit: which one, and nothing further is read. */
  private overflow: "questions" | "values" | undefined = undefined
  private readonly maxQuestions: number
  private readonly maxValues: number

  constructor(maxQuestions = Number.POSITIVE_INFINITY, maxValues = Number.POSITIVE_INFINITY) {
    this.maxQuestions = maxQuestions
    this.maxValues = maxValues
  }

  /** Past MAX_JOB_SIZE questions or MAX_JSON_VALUES values: nothing further is read. */
  get full(): boolean {
    return this.overflow !== undefined
  }

  /** Past MAX_JSON_VALUES: the body is too large for this service (a 413), not malformed. */
  get tooLarge(): boolean {
    return this.overflow === "values"
  }

  push(text: string): void {
    let piece = text
    if (!this.started && piece.length > 0) {
      this.started = true
      if (piece.startsWith("\uFEFF")) piece = piece.slice(1)
    }
    let from = 0
    for (let newline = piece.indexOf("\n"); newline !== -1 && this.overflow === undefined; newline = piece.indexOf("\n", from)) {
      const line = piece.slice(from, newline)
      this.line(this.pending.length === 0 ? line : this.pending.join("") + line)
      this.pending = []
      from = newline + 1
    }
    if (this.overflow === undefined && from < piece.length) this.pending.push(piece.slice(from))
  }

  /**
   * The questions, or the problems of the bad lines (`line 3: not valid JSON (…)`,
   * `line 5: temprature: unknown field`): the first ten and how many more.
   */
  end(): Result.Result<JsonlQuestions, ReadonlyArray<string>> {
    if (this.overflow === undefined && this.pending.length > 0) this.line(this.pending.join(""))
    this.pending = []
    if (this.overflow === "questions") {
      return Result.fail([`the body holds more than ${this.maxQuestions} questions, the limit (MAX_JOB_SIZE)`])
    }
    if (this.overflow === "values") {
      return Result.fail([`the body holds more than ${this.maxValues} JSON values, the limit (MAX_JSON_VALUES)`])
    }
    if (this.problemCount === 0) return Result.succeed({ questions: this.questions, lines: this.lines })
    const shown = [...this.problems]
    if (this.problemCount > maxLineErrors) shown.push(`… and ${this.problemCount - maxLineErrors} more bad lines`)
    return Result.fail(shown)
  }

  private problem(text: string) {
    this.problemCount++
    if (this.problems.length < maxLineErrors) this.problems.push(text)
  }

  private line(line: string) {
    const lineNumber = ++this.lineNumber
    if (line.trim() === "") return
    if (++this.counted > this.maxQuestions) {
      this.overflow = "questions"
      return
    }
    // Counted before the parse: what a line's parse holds grows with its values (src/domain/jsonValues.ts).
    this.values += jsonValuesIn(line, this.maxValues - this.values)
    if (this.values > this.maxValues) {
      this.overflow = "values"
      return
    }
    const json = parseJson(line)
    if (Exit.isFailure(json)) {
      this.problem(`line ${lineNumber}: not valid JSON (${Cause.squash(json.cause)})`)
      return
    }
    const value = json.value
    const item = decodeItem(isRecord(value) && !("index" in value) ? { ...value, index: lineNumber } : value)
    if (Exit.isFailure(item)) {
      this.problem(`line ${lineNumber}: ${Option.match(Exit.findErrorOption(item), {
        onNone: () => String(Cause.squash(item.cause)),
        onSome: (error) => error.message
      })}`)
      return
    }
    // Bad lines are reported without their questions: once there is one, the rest need not be kept.
    if (this.problemCount === 0) {
      this.questions.push(item.value)
      this.lines.push(lineNumber)
    }
  }
}

/**
 * The questions of a whole JSONL text (the CLI's files), or the problems of its bad lines. Blank
 * lines are skipped; CRLF and a leading byte-order mark are fine.
 */
export const parseJsonlQuestions = (text: string): Result.Result<JsonlQuestions, ReadonlyArray<string>> => {
  const reader = new JsonlQuestionReader()
  reader.push(text)
  return reader.end()
}

/**
 * Batch errors name `questions[k]` (a position); for JSONL the user thinks in lines, so each one
 * becomes `line N`: "questions[1].index: … questions[0]" → "line 3: index: … line 1".
 */
export const describeLines = (lines: ReadonlyArray<number>, message: string): string =>
  message.replace(/questions\[(\d+)\](\.?)/g, (text, position: string, dot: string) => {
    const line = lines[Number(position)]
    return line === undefined ? text : `line ${line}${dot === "" ? "" : ": "}`
  })
