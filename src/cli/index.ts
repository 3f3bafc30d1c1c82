/**
 * The converters and exporters behind the `ferroprof` command, for tests and tools:
 * read envelopes / profile JSON into a {@link ProfileModel}, write HTML, speedscope,
 * pprof and Sentry envelopes from it.
 *
 * @packageDocumentation
 */
export type { Frame, ModelSample, ModelThread, ProfileModel } from './model.js';
export { ModelBuilder, frameLocation, frameName, functionKey, sampleCount, samplePeriodNs } from './model.js';
export { CliError } from './errors.js';
export { addProfileChunk, addTransactionProfile, addWindowProfile, payloadKind } from './convert.js';
export { EnvelopeError, isGzip, itemJson, itemText, itemsOfType, parseEnvelope, serializeEnvelope } from '../envelope.js';
export type { Envelope, EnvelopeHeader, EnvelopeItem, EnvelopeItemInput, ItemHeader } from '../envelope.js';
export { chunkEnvelope, describeInputs, listInputs, loadProfile } from './load.js';
export type { Selection } from './load.js';
export { addPprof, addSpeedscope, isSpeedscope } from './read-foreign.js';
export { isOwnFile, ownFrames } from './own-frames.js';
export { computeTop, formatThreadTime, formatTop, formatDuration, sampleSpans } from './top.js';
export type { FunctionTime, ThreadTime, TopOptions, TopReport } from './top.js';
export { toSpeedscope } from './speedscope.js';
export type { SpeedscopeFile, SpeedscopeFrame, SpeedscopeSampledProfile } from './speedscope.js';
export { toPprof } from './pprof.js';
export { packageOf, renderHtml, pageData } from './html.js';
export type { PageData } from './html.js';
export { DEFAULT_FORMATS, FORMATS, parseFormats, writeOutputs } from './outputs.js';
export type { OutputFormat, WrittenFile } from './outputs.js';
export { main } from './main.js';
