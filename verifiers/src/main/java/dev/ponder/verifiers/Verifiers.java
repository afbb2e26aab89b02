package dev.ponder.verifiers;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.BadScorePolicy.BadScoreException;
import dev.ponder.verifiers.Verifier.Normalization;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.internal.Scores;
import dev.ponder.verifiers.onnx.EmbeddingSimilarity;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import dev.ponder.verifiers.rules.AnswerVerifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Factories for verifiers made from functions, and for the wrappers that combine, rescale or guard verifiers.
 * Model-backed verifiers have their own front doors ({@link OnnxOutcomeReward}, {@link OnnxProcessReward},
 * {@link EmbeddingSimilarity}), and so do {@link AnswerVerifier} and {@link VerifierCache}.
 *
 * <p>Every combinator checks its members' scores and rejects a {@code NaN} or infinite one with a
 * {@link BadScoreException}; wrap a member in {@link #withBadScorePolicy} to map such scores instead.
 */
public final class Verifiers {
  private Verifiers() {
  }

  /** A verifier scoring the generated text alone (the prompt is not read) with a plain function. */
  public static Verifier ofText(String name, ToDoubleFunction<String> textScore) {
    Objects.requireNonNull(textScore, "textScore");
    return new FunctionVerifier(requireName(name), in -> textScore.applyAsDouble(in.text()));
  }

  /** A verifier scoring prompt and text with a plain function. */
  public static Verifier of(String name, ToDoubleFunction<VerifierInput> score) {
    return new FunctionVerifier(requireName(name), Objects.requireNonNull(score, "score"));
  }

  /** The members' mean score. */
  public static Verifier mean(List<Verifier> members) {
    return EnsembleVerifier.create(EnsembleVerifier.Rule.MEAN, 0, members);
  }

  /** The lowest of the members' scores (worst case). */
  public static Verifier min(List<Verifier> members) {
    return EnsembleVerifier.create(EnsembleVerifier.Rule.MIN, 0, members);
  }

  /**
   * {@code mean - beta · std} of the members' scores, the std over members ({@code sqrt(Σ (s_k - mean)² / K)}):
   * disagreement between members lowers the score.
   *
   * @throws IllegalArgumentException when {@code beta} is negative or not finite
   */
  public static Verifier meanMinusStd(double beta, List<Verifier> members) {
    if (!(beta >= 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("beta (the weight of the members' std) must be finite and >= 0, was " + beta);
    }
    return EnsembleVerifier.create(EnsembleVerifier.Rule.MEAN_MINUS_STD, beta, members);
  }

  /**
   * The sum over members of each input's rank within the list (1 = lowest, ties share their mean rank): combines
   * members on different scales. Relative to the list, so it cannot be cached.
   */
  public static Verifier rankSum(List<Verifier> members) {
    return EnsembleVerifier.create(EnsembleVerifier.Rule.RANK_SUM, 0, members);
  }

  /** {@code verifier}'s scores rescaled across each list it scores. Relative to the list, so it cannot be cached. */
  public static Verifier normalized(Verifier verifier, Normalization normalization) {
    return new NormalizedVerifier(Objects.requireNonNull(verifier, "verifier"),
        Objects.requireNonNull(normalization, "normalization"));
  }

  /** {@code verifier} with its {@code NaN} or infinite scores handled by {@code policy} (and reported by it). */
  public static Verifier withBadScorePolicy(Verifier verifier, BadScorePolicy policy) {
    return new PolicyVerifier(Objects.requireNonNull(verifier, "verifier"), Objects.requireNonNull(policy, "policy"));
  }

  private static String requireName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a verifier needs a non-blank name (it appears in errors and statistics)");
    }
    return name;
  }

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
  public static final class VerifierCache {
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
}
