// The `edge-tracer/otlp` entry: the OTLP exporter on its own subpath, so its code stays out of bundles that do not use it.
export { otlp, type OtlpExporterOptions } from "./exporters/otlp.js";
