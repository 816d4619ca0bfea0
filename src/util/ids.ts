// Random identifiers: phospho task/session ids and OpenTelemetry trace/span ids, from Web Crypto.
// Randomness is drawn 4 KB at a time: one getRandomValues call per ~200 ids rather than one per id,
// which was a tenth of the traced fetch's own cost.

const POOL_SIZE = 4096;
const HEX = /*@__PURE__*/ Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
let pool: Uint8Array | undefined;
let used = POOL_SIZE;

function randomHex(bytes: number): string {
  if (used + bytes > POOL_SIZE) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_SIZE));
    used = 0;
  }
  let hex = "";
  for (let end = used + bytes; used < end; used++) hex += HEX[pool![used]!];
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
