// edge-tracer's public API. Everything a user imports is exported here, and nothing runs on import.
export { createTracer, isTracer, type Tracer, type InvocationOptions } from "./core/tracer.js";
export type { TracerConfig, ProviderEndpoint, KeepRules, RedactItem } from "./core/config.js";
export { Invocation } from "./core/invocation.js";
export { TraceHandle, type StepOptions, type TraceWrapper } from "./core/handle.js";
export type { LogEvent, LogIds, ManualStep } from "./core/log-record.js";
export type { ScopeOptions } from "./core/scope.js";
export { withTracer } from "./runtime/with-tracer.js";
export { instrument, type ExportedHandlerLike, type ConfigSource } from "./runtime/instrument.js";
export type { ExecutionContextLike } from "./runtime/wait-until.js";
export { log, tracer, trace, currentInvocation, tracedFetch } from "./context/ambient.js";
export type { AsyncLocalStorageClass, AsyncLocalStorageLike } from "./context/storage.js";
export { consoleExporter, type ConsoleExporterOptions } from "./exporters/console.js";
export { phosphoExporter, type PhosphoExporterOptions } from "./exporters/phospho.js";
export type { Exporter, ExportBatch, ExportResult, ExportOptions, ExportedLog, ExportedStep } from "./exporters/exporter.js";
export type { Step, StepKind, StepStatus, LlmCall, Choice, ToolCall, Usage } from "./core/step.js";
export { EdgeTracerError } from "./errors/edge-tracer-error.js";
export { ConfigError, isConfigError } from "./errors/config-error.js";
