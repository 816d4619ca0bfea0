// Embeddings (OpenAI, Azure, Mistral): how many inputs, the vector dimension and usage. Vectors are looked at, never kept.
import type { LlmCall } from "../model/records.js";
import { readEnvelope } from "./chat-completions.js";
import { readParams, type Dialect, type Json } from "./dialect.js";

const PARAMS = ["encoding_format", "dimensions", "output_dimension", "output_dtype", "user"];

function readEmbeddingsRequest(llm: LlmCall, body: Json): void {
  if (typeof body.model === "string" && body.model) llm.requestModel = body.model;
  readParams(llm, body, PARAMS);
  llm.embeddings = { inputs: countInputs(body.input ?? body.inputs) };
}

/** A string is one input; a list of strings or of token lists is one each; a flat list of token ids is one. */
function countInputs(input: unknown): number {
  if (typeof input === "string") return 1;
  if (!Array.isArray(input)) return 0;
  if (input.length && input.every((item) => typeof item === "number")) return 1;
  return input.length;
}

function readEmbeddingsResponse(llm: LlmCall, body: Json): void {
  readEnvelope(llm, body);
  const first = Array.isArray(body.data) ? body.data[0]?.embedding : undefined;
  const dimension = dimensionOf(first, String(llm.params.output_dtype ?? "float"));
  const embeddings = (llm.embeddings ??= { inputs: Array.isArray(body.data) ? body.data.length : 0 });
  if (dimension !== undefined) embeddings.dimension = dimension;
}

/**
 * One vector's dimension. A list of numbers is its length; a base64 string (the openai SDK's default) holds
 * little-endian float32s, 4 bytes each. Mistral's int8/uint8 vectors take a byte per value, binary ones a bit.
 */
function dimensionOf(vector: unknown, dtype: string): number | undefined {
  const bitsPacked = dtype === "binary" || dtype === "ubinary";
  if (Array.isArray(vector)) return bitsPacked ? vector.length * 8 : vector.length;
  if (typeof vector !== "string") return undefined;
  const bytes = base64Bytes(vector);
  if (bitsPacked) return bytes * 8;
  return dtype === "int8" || dtype === "uint8" ? bytes : Math.floor(bytes / 4);
}

/** Decoded length of base64 text, counted without decoding it. */
function base64Bytes(text: string): number {
  let length = text.length;
  while (length > 0 && text.charCodeAt(length - 1) === 61 /* = */) length--;
  return Math.floor((length * 3) / 4);
}

export const embeddingsDialect: Dialect = {
  operation: "embeddings",
  readRequest: readEmbeddingsRequest,
  readResponse: readEmbeddingsResponse,
};
