package dev.ponder.remote;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link CompletionClient} has spent since it was made, from the engine's own {@code usage} reports;
 * thread-safe. {@code attempts} counts every HTTP request sent, retries included; the token counts cover the
 * answered ones only (a failed attempt reports no usage).
 */
public final class RemoteTally {
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong cancelled = new AtomicLong();
  private final AtomicLong promptTokens = new AtomicLong();
  private final AtomicLong cachedPromptTokens = new AtomicLong();
  private final AtomicLong completionTokens = new AtomicLong();

  void attempt() {
    attempts.incrementAndGet();
  }

  void retry() {
    retries.incrementAndGet();
  }

  void cancelled() {
    cancelled.incrementAndGet();
  }

  void answered(Usage u) {
    answered.incrementAndGet();
    promptTokens.addAndGet(u.promptTokens());
    cachedPromptTokens.addAndGet(u.cachedPromptTokens());
    completionTokens.addAndGet(u.completionTokens());
  }

  /** HTTP requests sent, retries included. */
  public long attempts() {
    return attempts.get();
  }

  public long retries() {
    return retries.get();
  }

  /** Requests answered with a usable completion. */
  public long answered() {
    return answered.get();
  }

  /** Requests given up because the caller cancelled them. */
  public long cancelledRequests() {
    return cancelled.get();
  }

  /** Prompt tokens sent ({@code usage.prompt_tokens} summed). */
  public long promptTokens() {
    return promptTokens.get();
  }

  /** Of those, the ones the engine's prefix cache held ({@code cached_tokens} summed, 0 where not reported). */
  public long cachedPromptTokens() {
    return cachedPromptTokens.get();
  }

  public long completionTokens() {
    return completionTokens.get();
  }

  @Override
  public String toString() {
    return "RemoteTally{attempts=" + attempts() + ", retries=" + retries() + ", answered=" + answered()
        + ", cancelled=" + cancelledRequests() + ", promptTokens=" + promptTokens() + ", cachedPromptTokens="
        + cachedPromptTokens() + ", completionTokens=" + completionTokens() + "}";
  }
}
