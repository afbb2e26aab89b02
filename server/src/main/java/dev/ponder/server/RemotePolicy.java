package dev.ponder.server;

import dev.ponder.engine.Budget;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteEndpoint;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.util.List;

/**
 * A policy served behind an OpenAI-compatible {@code /v1/completions} API ({@link RemoteOptions}), and the
 * Countdown searches over it; {@code group} as in {@link RemoteProcess#groupSharedContexts} (1: one request per
 * hypothesis).
 */
record RemotePolicy(RemoteEndpoint endpoint, int group) {
  /** The most tokens a Countdown solution takes, as the zoo's generation_config.json says. */
  static final int MAX_NEW_TOKENS = 72;

  /**
   * The named Countdown search over the remote policy, one process per problem (one line a step for the
   * step-level searches), scored by local verifiers.
   */
  Solver solver(String algorithm, CountdownAlgorithms.Knobs knobs, double temperature, Verifier outcome,
      Verifier prm) {
    CompletionClient client = new CompletionClient(endpoint);
    RemoteDecoding decoding = (CountdownAlgorithms.stepsByLine(algorithm) ? RemoteDecoding.lines(MAX_NEW_TOKENS)
        : RemoteDecoding.whole(MAX_NEW_TOKENS)).withTemperature(algorithm.equals("greedy") ? 0 : temperature);
    return new Solver() {
      @Override
      public SearchResult solve(String prompt, long seed, Budget budget) {
        ProcessSearch<RemoteHypothesis, ?> search = CountdownAlgorithms.overAnyProcess(algorithm, knobs,
            () -> new RemoteScorer(outcome), () -> new RemoteScorer(prm));
        try (RemoteProcess process = RemoteProcess.open(client, prompt, decoding)
            .groupSharedContexts(group)) {
          return search.budget(budget).seed(seed).run(process);
        }
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  /** A local verifier over remote hypotheses (prompt and generated text, as for an in-process one): both scorer
   * contracts, one batched verifier call per list. */
  private record RemoteScorer(Verifier verifier)
      implements OutcomeScorer<RemoteHypothesis>, ProcessScorer<RemoteHypothesis> {
    @Override
    public double[] score(List<RemoteHypothesis> hs, dev.ponder.engine.SearchContext ctx) {
      return verifier.score(hs.stream().map(h -> VerifierInput.of(h.promptText(), h.text())).toList(), ctx);
    }
  }
}
