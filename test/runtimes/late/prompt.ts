// What the late-call app asks; its own module so the test reads it without loading the app (and edge-tracer).
export const PROMPT = "Tell me a story about an otter.";
