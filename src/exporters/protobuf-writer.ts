// A minimal protobuf wire-format writer: just what OTLP needs, so no protobuf library ships to the edge.
// https://protobuf.dev/programming-guides/encoding/

const encoder = /*@__PURE__*/ new TextEncoder();
const LENGTH_GAP = 5;
const varintSize = (value: number) => (value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5);

export class ProtoWriter {
  #bytes = new Uint8Array(4096);
  #length = 0;

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  #varint(value: number): void {
    this.#reserve(10);
    // Non-negative safe integers only; division keeps values above 2^31 exact.
    while (value > 127) {
      this.#bytes[this.#length++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.#bytes[this.#length++] = value;
  }

  #tag(field: number, wireType: 0 | 1 | 2): void {
    this.#varint(field * 8 + wireType);
  }

  /** uint32/enum/bool/non-negative int64 as a varint. Always written (oneof members need presence). */
  varint(field: number, value: number): this {
    this.#tag(field, 0);
    this.#varint(value);
    return this;
  }

  /** A signed int64: negatives take ten bytes of two's complement. */
  int64(field: number, value: number): this {
    if (value >= 0) return this.varint(field, value);
    this.#tag(field, 0);
    let rest = BigInt.asUintN(64, BigInt(value));
    this.#reserve(10);
    while (rest > 127n) {
      this.#bytes[this.#length++] = Number(rest & 127n) | 128;
      rest >>= 7n;
    }
    this.#bytes[this.#length++] = Number(rest);
    return this;
  }

  double(field: number, value: number): this {
    this.#tag(field, 1);
    this.#reserve(8);
    new DataView(this.#bytes.buffer).setFloat64(this.#length, value, true);
    this.#length += 8;
    return this;
  }

  fixed64(field: number, value: bigint): this {
    this.#tag(field, 1);
    this.#reserve(8);
    new DataView(this.#bytes.buffer).setBigUint64(this.#length, value, true);
    this.#length += 8;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(value.length);
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** UTF-8 straight into the buffer: no intermediate array per string. */
  string(field: number, value: string): this {
    this.#tag(field, 2);
    const start = this.#open(value.length * 3);
    this.#length += encoder.encodeInto(value, this.#bytes.subarray(this.#length)).written;
    return this.#close(start);
  }

  /** An embedded message, written by `build` in place (its length is filled in after). */
  message(field: number, build: (writer: ProtoWriter) => void): this {
    this.#tag(field, 2);
    const start = this.#open(0);
    build(this);
    return this.#close(start);
  }

  // A length-delimited field is written after a 5-byte gap, the most a 32-bit length takes; #close writes the
  // length into the gap and moves the content back over what is left of it (one native memmove).
  #open(expected: number): number {
    this.#reserve(LENGTH_GAP + expected);
    const start = this.#length;
    this.#length += LENGTH_GAP;
    return start;
  }

  #close(start: number): this {
    const contentStart = start + LENGTH_GAP;
    const size = this.#length - contentStart;
    const sizeBytes = varintSize(size);
    this.#bytes.copyWithin(start + sizeBytes, contentStart, this.#length);
    this.#length = start;
    this.#varint(size);
    this.#length += size;
    return this;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.#bytes.slice(0, this.#length);
  }
}

/** Hex ids (trace and span ids) to bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
