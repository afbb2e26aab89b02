/**
 * A policy and an LLM judge behind an OpenAI-compatible {@code /v1/completions} API (llama.cpp's server, vLLM):
 * {@link dev.ponder.remote.RemoteProcess} is a step-level {@code GenerativeProcess} that every process-generic search
 * drives, {@link dev.ponder.remote.RemoteJudge} an {@code OutcomeScorer}. See remote/README.md.
 */
module dev.ponder.remote {
  requires transitive dev.ponder.engine;
  requires java.net.http;
  requires com.fasterxml.jackson.databind;

  exports dev.ponder.remote;
}
