// The bindings the test pipelines read.
export interface PipelineEnv {
  MOCK_LLM_URL: string;
  PHOSPHO_API_KEY: string;
  PHOSPHO_PROJECT_ID: string;
  PHOSPHO_BASE_URL: string;
}
