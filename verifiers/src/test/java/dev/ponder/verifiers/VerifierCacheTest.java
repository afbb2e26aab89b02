package dev.ponder.verifiers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.BadScorePolicy.BadScoreException;
import dev.ponder.verifiers.Verifier.Normalization;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.Verifiers.VerifierCache;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VerifierCacheTest {

  /** Counts the inputs it really scores and the lists it is called with. */
  static final class Counting implements Verifier {
    final AtomicInteger inputs = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String name() {
      return "counting";
    }

    @Override
    public double[] score(List<VerifierInput> in, SearchContext ctx) {
      calls.incrementAndGet();
      inputs.addAndGet(in.size());
      ctx.counters().addVerifierCalls(1);
      return in.stream().mapToDouble(i -> i.text().length()).toArray();
    }
  }

  private static List<VerifierInput> texts(String... t) {
    return java.util.Arrays.stream(t).map(x -> VerifierInput.of("P", x)).toList();
  }

  @Test
  void scoresEachDistinctInputOnceAndCountsHitsAndMisses() {
    VerifierCache cache = VerifierCache.create(100);
    Counting base = new Counting();
    Verifier v = cache.wrap(base);
    SearchContext ctx = SearchContext.builder().build();
    assertThat(v.score(texts("a", "bb", "a"), ctx)).containsExactly(1.0, 2.0, 1.0);
    assertThat(base.inputs.get()).isEqualTo(2);
    assertThat(v.score(texts("bb", "ccc", "a"), ctx)).containsExactly(2.0, 3.0, 1.0);
    assertThat(base.inputs.get()).isEqualTo(3);
    assertThat(base.calls.get()).isEqualTo(2);
    assertThat(v.score(texts("ccc"), ctx)).containsExactly(3.0);
    assertThat(base.calls.get()).as("an all-hit list makes no call").isEqualTo(2);
    assertThat(ctx.counters().verifierCalls()).isEqualTo(2);
    assertThat(cache.stats()).isEqualTo(new VerifierCache.Stats(3, 3, 0, 3));
    assertThat(cache.stats().hitRate()).isEqualTo(0.5);
    assertThat(ctx.stats().verifierCacheHits()).as("the search's own stats").isEqualTo(3);
    assertThat(ctx.stats().verifierCacheMisses()).isEqualTo(3);
    assertThat(v.name()).isEqualTo("counting");
  }

  @Test
  void keyIsVerifierAndExactInput() {
    VerifierCache cache = VerifierCache.create(100);
    Counting a = new Counting();
    Counting b = new Counting();
    SearchContext ctx = SearchContext.builder().build();
    cache.wrap(a).score(texts("x"), ctx);
    cache.wrap(b).score(texts("x"), ctx);
    cache.wrap(a).score(List.of(VerifierInput.of("P ", "x"), VerifierInput.of("P", "x ")), ctx);
    assertThat(a.inputs.get()).isEqualTo(3);
    assertThat(b.inputs.get()).isEqualTo(1);
    assertThat(cache.stats().misses()).isEqualTo(4);
  }

  @Test
  void sizeIsBounded() {
    VerifierCache cache = VerifierCache.create(8);
    Verifier v = cache.wrap(new Counting());
    SearchContext ctx = SearchContext.builder().build();
    for (int i = 0; i < 200; i++) {
      v.score(texts("t" + i), ctx);
    }
    VerifierCache.Stats s = cache.stats();
    assertThat(s.size()).isEqualTo(8);
    assertThat(s.evictions()).isEqualTo(192);
  }

  @Test
  void concurrentSearchesShareOneCache() throws Exception {
    VerifierCache cache = VerifierCache.create(10_000);
    Counting base = new Counting();
    Verifier v = cache.wrap(base);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<double[]>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        results.add(pool.submit(() -> {
          SearchContext ctx = SearchContext.builder().build();
          double[] last = null;
          for (int round = 0; round < 50; round++) {
            List<VerifierInput> in = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
              in.add(VerifierInput.of("P", "x".repeat((round * 7 + i) % 100)));
            }
            last = v.score(in, ctx);
            for (int i = 0; i < 20; i++) {
              assertThat(last[i]).isEqualTo((round * 7 + i) % 100);
            }
          }
          return last;
        }));
      }
      for (Future<double[]> f : results) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    VerifierCache.Stats s = cache.stats();
    assertThat(s.hits() + s.misses()).isEqualTo(8 * 50 * 20);
    assertThat(s.size()).isEqualTo(100);
    // every distinct input is scored at least once; races may score one twice, never more than once per thread
    assertThat(base.inputs.get()).isBetween(100, 800);
    assertThat(s.misses()).isEqualTo(base.inputs.get());
  }

  @Test
  void refusesListRelativeVerifiersAndBadSizes() {
    VerifierCache cache = VerifierCache.create(10);
    Verifier base = new Counting();
    for (Verifier relative : List.of(Verifiers.rankSum(List.of(base)), Verifiers.normalized(base, Normalization.Z_SCORE),
        Verifiers.mean(List.of(Verifiers.normalized(base, Normalization.RANK))),
        Verifiers.withBadScorePolicy(Verifiers.rankSum(List.of(base)), BadScorePolicy.reject()))) {
      assertThatThrownBy(() -> cache.wrap(relative)).as(relative.name())
          .hasMessageContaining("cannot be cached per input; cache its members instead");
    }
    assertThat(cache.wrap(Verifiers.mean(List.of(base)))).isNotNull();
    assertThatThrownBy(() -> VerifierCache.create(0))
        .hasMessage("the verifier cache's maximum size must be >= 1 entries, was 0; to score without caching, do not"
            + " wrap the verifier");
  }

  @Test
  void badScoresAreNeverCached() {
    VerifierCache cache = VerifierCache.create(10);
    AtomicInteger calls = new AtomicInteger();
    Verifier flaky = Verifiers.ofText("flaky", t -> calls.getAndIncrement() == 0 ? Double.NaN : 1.0);
    Verifier v = cache.wrap(flaky);
    SearchContext ctx = SearchContext.builder().build();
    assertThatThrownBy(() -> v.score(texts("a"), ctx)).isInstanceOf(BadScoreException.class);
    assertThat(v.score(texts("a"), ctx)).containsExactly(1.0);
    assertThat(cache.stats().size()).isEqualTo(1);
  }
}
