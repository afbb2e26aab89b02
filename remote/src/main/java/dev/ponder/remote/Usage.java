package dev.ponder.remote;

/**
 * What the engine says one request cost.
 *
 * @param promptTokens       {@code usage.prompt_tokens}
 * @param cachedPromptTokens {@code usage.prompt_tokens_details.cached_tokens}, or 0 when the engine does not say
 * @param completionTokens   {@code usage.completion_tokens}
 * @param cachedReported     whether the engine gave {@code cached_tokens}
 */
public record Usage(long promptTokens, long cachedPromptTokens, long completionTokens, boolean cachedReported) {

  /** Prompt tokens the engine had to compute: sent minus those its cache already held. */
  public long computedPromptTokens() {
    return promptTokens - cachedPromptTokens;
  }
}
