// Types of size.mjs for the size test.
import type { BuildOptions, Metafile } from "esbuild";

export interface SizeCase {
  label: string;
  source: string;
  needsOtlp?: boolean;
}
export declare const root: string;
export declare const hasOtlp: boolean;
export declare const workerBuild: BuildOptions & { write: false };
export declare const cases: { a: SizeCase; b: SizeCase; c: SizeCase };
export declare function openaiWorker(tracerCase?: SizeCase): string;
export declare function measure(source: string): Promise<{ minified: number; gzip: number; code: string; metafile: Metafile }>;
export declare function weighModules(metafile: Metafile): { path: string; bytes: number }[];
