// An exporter that keeps batches in memory, for tests that assert what would be sent.
import type { ExportBatch, Exporter } from "../../src/index.js";

export function memoryExporter(): Exporter & { batches: ExportBatch[] } {
  const batches: ExportBatch[] = [];
  return {
    name: "memory",
    batches,
    async export(batch) {
      batches.push(batch);
      return { sent: batch.logs.length, retried: 0, dropped: 0, errors: [] };
    },
  };
}
