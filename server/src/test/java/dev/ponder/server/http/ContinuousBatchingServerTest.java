package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * {@code ponder serve --continuous-batching}: requests running at once on the served policy share its model calls
 * and each gets the answer it gets with the option off.
 */
class ContinuousBatchingServerTest {
  private static final int REQUESTS = 6;

  @Test
  void concurrentRequestsShareCallsAndAnswerAsWithoutIt() throws Exception {
    try (EmbeddedModels embedded = EmbeddedModels.extract();
        ModelRegistry off = ModelRegistry.load(embedded.directories(), ModelOptions.cpu().withThreads(1, 1), false);
        ModelRegistry on = ModelRegistry.load(embedded.directories(), ModelOptions.cpu().withThreads(1, 1), true)) {
      LanguageModel policy = on.policy("countdown-policy", "model");
      assertThat(policy.batchesAcrossSearches()).isTrue();
      assertThat(off.policy("countdown-policy", "model").batchesAcrossSearches()).isFalse();
      List<String> alone = new ArrayList<>();
      for (int i = 0; i < REQUESTS; i++) {
        alone.add(answer(new SearchRunner(off).run("countdown-policy", prompt(i), spec(i), e -> { })));
      }
      CyclicBarrier start = new CyclicBarrier(REQUESTS);
      ExecutorService pool = Executors.newFixedThreadPool(REQUESTS);
      try {
        List<Future<String>> together = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
          int k = i;
          together.add(pool.submit(() -> {
            start.await();
            return answer(new SearchRunner(on).run("countdown-policy", prompt(k), spec(k), e -> { }));
          }));
        }
        for (int i = 0; i < REQUESTS; i++) {
          assertThat(together.get(i).get()).as("request " + i).isEqualTo(alone.get(i));
        }
      } finally {
        pool.shutdownNow();
      }
      LanguageModel.SharedCalls shared = policy.sharedCalls();
      assertThat(shared.calls()).as("merged: " + shared).isPositive().isLessThan(shared.requests());
    }
  }

  /**
   * A GroupQueryAttention policy beside a concat one: the option merges the concat policy's calls and serves the
   * GQA one unmerged (with a warning at start-up) instead of refusing the whole server.
   */
  @Test
  void servesAGroupQueryAttentionPolicyUnmergedBesideAMergedOne() {
    try (ModelRegistry on = ModelRegistry.load(java.util.Map.of("gqa", Zoo.model("countdown/policy-gqa"), "concat",
        Zoo.model("countdown/policy")), ModelOptions.cpu().withThreads(1, 1), true)) {
      assertThat(on.policy("gqa", "model").batchesAcrossSearches()).isFalse();
      assertThat(on.policy("concat", "model").batchesAcrossSearches()).isTrue();
      SearchResult r = new SearchRunner(on).run("gqa", prompt(0), spec(0), e -> { });
      assertThat(r.candidates()).hasSize(4);
    }
  }

  private static String prompt(int i) {
    return "numbers: " + (3 + i) + " 7 25 50 target: " + (80 + i) + "\n";
  }

  private static SearchSpec spec(int i) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("algorithm", "bon").put("n", 4).put("verifier", "checker")
        .put("seed", 40 + i);
    return SearchSpec.parse(body, body, "bon", Limits.defaults());
  }

  private static String answer(SearchResult r) {
    return r.candidates().stream().map(c -> c.text() + " @" + Double.doubleToLongBits(c.score())).toList().toString();
  }
}
