/**
 * Spans leave the process with no secret in them: every string an exported span carries — its
 * name, attributes, events (an exception's message and stack trace included), links and status
 * message, and the resource's attributes — goes through the rule answers and logs use
 * (`scrubSecrets`: the configured keys by value, anything key-shaped). It is applied where spans
 * are serialized for the collector, so no code path that makes or annotates a span can forget it.
 */
import { Effect, Layer } from "effect"
import { type OtlpResource, OtlpSerialization, type OtlpTracer } from "effect/observability"
import { scrubSecrets } from "../config/secrets.ts"

type TraceData = OtlpTracer.TraceData
type KeyValue = OtlpResource.KeyValue
type ResourceSpan = TraceData["resourceSpans"][number]
type Span = ResourceSpan["scopeSpans"][number]["spans"][number]
type AnyValue = KeyValue["value"]
type Scrub = (text: string) => string

const scrubValue = (value: AnyValue, scrub: Scrub): AnyValue => {
  const scrubbed: AnyValue = { ...value }
  if (typeof value.stringValue === "string") scrubbed.stringValue = scrub(value.stringValue)
  if (value.arrayValue !== undefined) {
    scrubbed.arrayValue = { values: value.arrayValue.values.map((item) => scrubValue(item, scrub)) }
  }
  if (value.kvlistValue !== undefined) scrubbed.kvlistValue = { values: scrubAttributes(value.kvlistValue.values, scrub) }
  return scrubbed
}

const scrubAttributes = (attributes: ReadonlyArray<KeyValue>, scrub: Scrub): Array<KeyValue> =>
  attributes.map((attribute) => ({ key: attribute.key, value: scrubValue(attribute.value, scrub) }))

const scrubSpan = (span: Span, scrub: Scrub): Span => ({
  ...span,
  name: scrub(span.name),
  attributes: scrubAttributes(span.attributes, scrub),
  events: span.events.map((event) => ({
    ...event,
    name: scrub(event.name),
    attributes: scrubAttributes(event.attributes, scrub)
  })),
  links: span.links.map((link) => ({ ...link, attributes: scrubAttributes(link.attributes, scrub) })),
  status: span.status.message === undefined ? span.status : { ...span.status, message: scrub(span.status.message) }
})

/** `data` with every string a span or its resource carries scrubbed; ids and times are left as they are. */
export const scrubTraceData = (data: TraceData, secrets: ReadonlyArray<string>): TraceData => {
  const scrub: Scrub = (text) => scrubSecrets(text, secrets)
  return {
    resourceSpans: data.resourceSpans.map((resourceSpan) => ({
      ...resourceSpan,
      resource: { ...resourceSpan.resource, attributes: scrubAttributes(resourceSpan.resource.attributes, scrub) },
      scopeSpans: resourceSpan.scopeSpans.map((scopeSpan) => ({
        ...scopeSpan,
        spans: scopeSpan.spans.map((span) => scrubSpan(span, scrub))
      }))
    }))
  }
}

/** effect's OTLP/JSON bodies, made of scrubbed trace data. */
export const scrubbedJsonSerialization = (secrets: ReadonlyArray<string>) =>
  Layer.effect(
    OtlpSerialization.OtlpSerialization,
    Effect.gen(function*() {
      const json = yield* OtlpSerialization.OtlpSerialization
      return OtlpSerialization.OtlpSerialization.of({
        ...json,
        traces: (data) => json.traces(scrubTraceData(data, secrets))
      })
    })
  ).pipe(Layer.provide(OtlpSerialization.layerJson))
