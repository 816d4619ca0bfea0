// Random re-chunking for property tests: a seeded PRNG (so a failure reproduces from its seed) and a cutter.

/** mulberry32: a tiny seeded PRNG returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Cuts `buffer` at random points: mostly small chunks (inside UTF-8 characters and \r\n pairs too), some
 * 1-byte, empty or large ones, and sometimes a trailing empty chunk.
 */
export function randomChunks(buffer: Uint8Array, random: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < buffer.length) {
    const roll = random();
    const size = roll < 0.08 ? 0 : roll < 0.33 ? 1 : roll < 0.9 ? 1 + Math.floor(random() * 16) : Math.floor(random() * buffer.length);
    chunks.push(buffer.subarray(at, at + size));
    at += size;
  }
  if (random() < 0.5) chunks.push(new Uint8Array(0));
  return chunks;
}
