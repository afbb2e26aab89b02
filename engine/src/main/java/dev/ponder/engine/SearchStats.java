package dev.ponder.engine;

import java.time.Duration;

/** What one search cost; see {@link SearchCounters} for what each count means. */
public record SearchStats(long promptTokens, long generatedTokens, long policyTokens, long paddingTokens,
    long modelCalls, long verifierCalls, long verifierTokens, long verifierCacheHits, long verifierCacheMisses,
    long wallNanos) {

  public Duration wallTime() {
    return Duration.ofNanos(wallNanos);
  }

  @Override
  public String toString() {
    return String.format("prompt_tokens=%d generated_tokens=%d policy_tokens=%d padding_tokens=%d model_calls=%d"
            + " verifier_calls=%d verifier_tokens=%d verifier_cache_hits=%d verifier_cache_misses=%d wall_ms=%.1f",
        promptTokens, generatedTokens, policyTokens, paddingTokens, modelCalls, verifierCalls, verifierTokens,
        verifierCacheHits, verifierCacheMisses, wallNanos / 1e6);
  }
}
