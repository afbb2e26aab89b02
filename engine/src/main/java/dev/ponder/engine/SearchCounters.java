package dev.ponder.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The running tally of what a search has spent. Policies and verifiers add to it as they work; budgets read it.
 * Thread-safe: a verifier may score on another thread while the policy decodes.
 *
 * <ul>
 *   <li>{@code promptTokens}: prompt tokens the policy processed (each distinct prompt once when prefixes are
 *       shared);</li>
 *   <li>{@code generatedTokens}: tokens the policy sampled;</li>
 *   <li>{@code policyTokens}: every real (non-padding) token position the policy model processed, prompt and
 *       generated; with KV reuse this equals the distinct tokens of the search tree;</li>
 *   <li>{@code paddingTokens}: padding positions fed to the model to keep a batch rectangular;</li>
 *   <li>{@code modelCalls}: policy forward passes (one per batched step);</li>
 *   <li>{@code verifierCalls}, {@code verifierTokens}: batched scorer invocations and the tokens they read;</li>
 *   <li>{@code verifierCacheHits}, {@code verifierCacheMisses}: inputs a score cache answered, and sent on.</li>
 * </ul>
 */
public final class SearchCounters {
  /** Made by each {@link SearchContext}. */
  SearchCounters() {
  }

  private final AtomicLong promptTokens = new AtomicLong();
  private final AtomicLong generatedTokens = new AtomicLong();
  private final AtomicLong policyTokens = new AtomicLong();
  private final AtomicLong paddingTokens = new AtomicLong();
  private final AtomicLong modelCalls = new AtomicLong();
  private final AtomicLong verifierCalls = new AtomicLong();
  private final AtomicLong verifierTokens = new AtomicLong();
  private final AtomicLong verifierCacheHits = new AtomicLong();
  private final AtomicLong verifierCacheMisses = new AtomicLong();

  public void addVerifierCacheHits(long n) {
    verifierCacheHits.addAndGet(n);
  }

  public void addVerifierCacheMisses(long n) {
    verifierCacheMisses.addAndGet(n);
  }

  public long verifierCacheHits() {
    return verifierCacheHits.get();
  }

  public long verifierCacheMisses() {
    return verifierCacheMisses.get();
  }

  public void addPromptTokens(long n) {
    promptTokens.addAndGet(n);
  }

  public void addGeneratedTokens(long n) {
    generatedTokens.addAndGet(n);
  }

  public void addPolicyTokens(long n) {
    policyTokens.addAndGet(n);
  }

  public void addPaddingTokens(long n) {
    paddingTokens.addAndGet(n);
  }

  public void addModelCalls(long n) {
    modelCalls.addAndGet(n);
  }

  public void addVerifierCalls(long n) {
    verifierCalls.addAndGet(n);
  }

  public void addVerifierTokens(long n) {
    verifierTokens.addAndGet(n);
  }

  public long promptTokens() {
    return promptTokens.get();
  }

  public long generatedTokens() {
    return generatedTokens.get();
  }

  public long policyTokens() {
    return policyTokens.get();
  }

  public long paddingTokens() {
    return paddingTokens.get();
  }

  public long modelCalls() {
    return modelCalls.get();
  }

  public long verifierCalls() {
    return verifierCalls.get();
  }

  public long verifierTokens() {
    return verifierTokens.get();
  }

  /** An immutable copy, stamped with the wall time so far. */
  public SearchStats snapshot(long wallNanos) {
    return new SearchStats(promptTokens(), generatedTokens(), policyTokens(), paddingTokens(), modelCalls(),
        verifierCalls(), verifierTokens(), verifierCacheHits(), verifierCacheMisses(), wallNanos);
  }
}
