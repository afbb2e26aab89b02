package dev.ponder.verifiers;

import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.internal.Scores;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Remembers verifier scores by (verifier, exact input), so that the same text is scored once however often a
 * search — or several searches at once — meets it. Backed by a Caffeine cache bounded by entry count
 * (Window TinyLFU eviction); thread-safe.
 *
 * <pre>{@code
 * VerifierCache cache = VerifierCache.create(100_000);
 * Verifier orm = cache.wrap(OnnxOutcomeReward.load(dir));     // score misses in one batched call
 * ... cache.stats().hits() ...
 * }</pre>
 *
 * <p>A wrapped verifier looks every input of a list up at once and sends only the misses, deduplicated, to the
 * underlying verifier in one batched call; that call adds to the search's verifier calls and tokens, a list of
 * hits adds nothing. Scores are checked finite before they are stored, so a bad score is never cached.
 * Verifiers whose score depends on the rest of the list (normalized, rank-sum) cannot be wrapped. Two concurrent
 * lists that miss on the same input may both score it; the result is the same.
 */
public final class VerifierCache {
  private final long maximumSize;
  private final Cache<Key, Double> cache;

  private VerifierCache(long maximumSize) {
    this.maximumSize = maximumSize;
    // Maintenance (eviction) runs on the scoring thread: amortized O(1), and the bound holds when a call returns.
    this.cache = Caffeine.newBuilder().maximumSize(maximumSize).executor(Runnable::run).recordStats().build();
  }

  /**
   * A cache holding at most {@code maximumSize} scores across every verifier it wraps.
   *
   * @throws IllegalArgumentException when {@code maximumSize < 1}
   */
  public static VerifierCache create(long maximumSize) {
    if (maximumSize < 1) {
      throw new IllegalArgumentException("the verifier cache's maximum size must be >= 1 entries, was " + maximumSize
          + "; to score without caching, do not wrap the verifier");
    }
    return new VerifierCache(maximumSize);
  }

  /**
   * {@code verifier} with its scores remembered here; the key includes the verifier itself (its identity unless it
   * defines {@code equals}), so verifiers sharing one cache never see each other's scores.
   *
   * @throws IllegalArgumentException when the verifier's scores depend on the rest of the list
   */
  public Verifier wrap(Verifier verifier) {
    Objects.requireNonNull(verifier, "verifier");
    if (BatchRelative.isRelative(verifier)) {
      throw new IllegalArgumentException("verifier '" + verifier.name() + "' scores each input relative to the rest"
          + " of its list, so its scores cannot be cached per input; cache its members instead and normalize or"
          + " rank outside the cache");
    }
    return new Cached(verifier);
  }

  /** Hits, misses, evictions and size so far. */
  public Stats stats() {
    CacheStats s = cache.stats();
    return new Stats(s.hitCount(), s.missCount(), s.evictionCount(), cache.estimatedSize());
  }

  public long maximumSize() {
    return maximumSize;
  }

  /** Forgets every score (statistics are kept). */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  /**
   * What the cache has done: {@code hits + misses} is the number of inputs looked up (a repeated input within one
   * list is looked up once).
   *
   * @param hits      inputs answered from the cache
   * @param misses    inputs sent to the underlying verifier
   * @param evictions scores dropped to respect the size bound
   * @param size      scores held now (approximate while other threads write)
   */
  public record Stats(long hits, long misses, long evictions, long size) {
    /** {@code hits / (hits + misses)}, or 0 before any lookup. */
    public double hitRate() {
      long n = hits + misses;
      return n == 0 ? 0.0 : (double) hits / n;
    }
  }

  private record Key(Verifier verifier, VerifierInput input) {}

  private final class Cached implements Verifier {
    private final Verifier delegate;

    Cached(Verifier delegate) {
      this.delegate = delegate;
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
      List<Key> keys = new ArrayList<>(inputs.size());
      for (VerifierInput in : inputs) {
        keys.add(new Key(delegate, Objects.requireNonNull(in, "input")));
      }
      long[] sent = {0};
      Map<Key, Double> found = cache.getAll(keys, missing -> {
        sent[0] += missing.size();
        return load(missing, ctx);
      });
      ctx.counters().addVerifierCacheMisses(sent[0]);
      ctx.counters().addVerifierCacheHits(new java.util.HashSet<>(keys).size() - sent[0]); // as Caffeine counts
      double[] out = new double[keys.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = found.get(keys.get(i));
      }
      return out;
    }

    private Map<Key, Double> load(Set<? extends Key> missing, SearchContext ctx) {
      List<Key> keys = List.copyOf(missing);
      List<VerifierInput> inputs = new ArrayList<>(keys.size());
      for (Key k : keys) {
        inputs.add(k.input());
      }
      double[] scores = Scores.checked(delegate, inputs, ctx);
      Map<Key, Double> out = new HashMap<>();
      for (int i = 0; i < scores.length; i++) {
        out.put(keys.get(i), scores[i]);
      }
      return out;
    }
  }
}
