// A minimal protobuf wire-format writer: just what OTLP needs, so no protobuf library ships to the edge.
// https://protobuf.dev/programming-guides/encoding/
// A closure rather than a class: its state is plain locals, which the minifier shortens (private fields it cannot).

const encoder = /*@__PURE__*/ new TextEncoder();
const LENGTH_GAP = 5;
const varintSize = (value: number) => (value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5);

/** Writes fields into one growing buffer. Every method but `finish` returns the writer, so calls chain. */
export interface ProtoWriter {
  /** uint32/enum/bool/non-negative int64 as a varint. Always written (oneof members need presence). */
  varint(field: number, value: number): ProtoWriter;
  /** A signed int64: negatives take ten bytes of two's complement. */
  int64(field: number, value: number): ProtoWriter;
  double(field: number, value: number): ProtoWriter;
  fixed64(field: number, value: bigint): ProtoWriter;
  bytes(field: number, value: Uint8Array): ProtoWriter;
  /** UTF-8 straight into the buffer: no intermediate array per string. */
  string(field: number, value: string): ProtoWriter;
  /** An embedded message, written by `build` in place (its length is filled in after). */
  message(field: number, build: (writer: ProtoWriter) => void): ProtoWriter;
  finish(): Uint8Array<ArrayBuffer>;
}

export function protoWriter(): ProtoWriter {
  let buffer = new Uint8Array(4096);
  let length = 0;

  const reserve = (extra: number) => {
    if (length + extra <= buffer.length) return;
    const grown = new Uint8Array(Math.max(buffer.length * 2, length + extra));
    grown.set(buffer.subarray(0, length));
    buffer = grown;
  };

  const writeVarint = (value: number) => {
    reserve(10);
    // Non-negative safe integers only; division keeps values above 2^31 exact.
    while (value > 127) {
      buffer[length++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    buffer[length++] = value;
  };

  const tag = (field: number, wireType: 0 | 1 | 2) => writeVarint(field * 8 + wireType);

  /** A fixed 8-byte field (wire type 1), written little-endian by `write`. */
  const fixed = (field: number, write: (view: DataView) => void) => {
    tag(field, 1);
    reserve(8);
    write(new DataView(buffer.buffer, length, 8));
    length += 8;
    return writer;
  };

  // A length-delimited field is written after a 5-byte gap, the most a 32-bit length takes; then its length goes
  // into the gap and the content moves back over what is left of it (one native memmove).
  const delimited = (field: number, expected: number, writeContent: () => void) => {
    tag(field, 2);
    reserve(LENGTH_GAP + expected);
    const start = length;
    const contentStart = (length += LENGTH_GAP);
    writeContent();
    const size = length - contentStart;
    buffer.copyWithin(start + varintSize(size), contentStart, length);
    length = start;
    writeVarint(size);
    length += size;
    return writer;
  };

  const writer: ProtoWriter = {
    varint(field, value) {
      tag(field, 0);
      writeVarint(value);
      return writer;
    },
    int64(field, value) {
      if (value >= 0) return writer.varint(field, value);
      tag(field, 0);
      let rest = BigInt.asUintN(64, BigInt(value));
      reserve(10);
      for (; rest > 127n; rest >>= 7n) buffer[length++] = Number(rest & 127n) | 128;
      buffer[length++] = Number(rest);
      return writer;
    },
    double: (field, value) => fixed(field, (view) => view.setFloat64(0, value, true)),
    fixed64: (field, value) => fixed(field, (view) => view.setBigUint64(0, value, true)),
    bytes: (field, value) =>
      delimited(field, value.length, () => {
        buffer.set(value, length);
        length += value.length;
      }),
    string: (field, value) =>
      delimited(field, value.length * 3, () => {
        length += encoder.encodeInto(value, buffer.subarray(length)).written;
      }),
    message: (field, build) => delimited(field, 0, () => build(writer)),
    finish: () => buffer.slice(0, length),
  };
  return writer;
}

/** Hex ids (trace and span ids) to bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
