// A Request recognised by its shape, not `instanceof`: realms differ (EdgeVM's `clone()` returns a non-instance).

export interface RequestLike {
  url: string;
  method: string;
  signal?: AbortSignal | null;
  clone(): { text(): Promise<string> };
}

export const isRequestLike = (value: unknown): value is RequestLike =>
  typeof value === "object" && value !== null && typeof (value as RequestLike).url === "string" && typeof (value as RequestLike).clone === "function";
