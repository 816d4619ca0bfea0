// Random identifiers: phospho task/session ids and OpenTelemetry trace/span ids, from Web Crypto.

function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  let hex = "";
  for (const byte of buffer) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** `task_<32 hex>`, shaped like the reference phospho client's ids. */
export const newTaskId = (): string => `task_${randomHex(16)}`;
/** `session_<32 hex>`, shaped like the reference phospho client's ids. */
export const newSessionId = (): string => `session_${randomHex(16)}`;
/** A W3C trace id: 16 random bytes as 32 hex digits. */
export const newTraceId = (): string => randomHex(16);
/** A W3C span id: 8 random bytes as 16 hex digits. */
export const newSpanId = (): string => randomHex(8);
