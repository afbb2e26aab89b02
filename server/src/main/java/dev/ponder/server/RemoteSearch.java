package dev.ponder.server;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult;
import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import dev.ponder.samplers.Search;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ponder search --remote URL --remote-model NAME}: the search of {@link SearchCommand} over a model served
 * behind an OpenAI-compatible {@code /v1/completions} API; verifiers stay local.
 */
final class RemoteSearch {
  private final SearchCommand o;
  private final RemotePolicy remote;
  private final String prompt;
  private final PrintStream out;

  RemoteSearch(SearchCommand options, RemotePolicy remote, String prompt, PrintStream out) {
    this.o = options;
    this.remote = remote;
    this.prompt = prompt;
    this.out = out;
  }

  int run() {
    Map<String, Boolean> localOnly = Map.of("--model", o.model != null, "--top-k", o.topK != 0, "--min-p",
        o.minP != 0, "--device", !o.device.equals("cpu"), "--threads", o.threads != 0);
    localOnly.forEach((option, given) -> {
      if (given) {
        throw new UsageException("search: " + option + " applies to a local model, not to --remote (the engine"
            + " samples with temperature and top-p only; top_k and min_p are sent as off)");
      }
    });
    if (o.algorithm.equals("beam")) {
      throw new UsageException("search: --algorithm beam (token-level beam search) needs every next-token"
          + " distribution, which only a local model gives; with --remote use step-beam");
    }
    Budget budget = o.budgetTokens == null ? Budget.tokens(Long.MAX_VALUE) : Budget.tokens(o.budgetTokens);
    if (!o.algorithm.equals("sample")) {
      return runNamed(budget);
    }
    int maxNew = o.maxNewTokens == null ? RemotePolicy.MAX_NEW_TOKENS : o.maxNewTokens;
    try (CompletionClient client = new CompletionClient(remote.endpoint());
         RemoteProcess process = RemoteProcess.open(client, prompt,
             RemoteDecoding.whole(maxNew).withTemperature(o.temperature).withTopP(o.topP))
                 .groupSharedContexts(remote.group())) {
      SearchResult r = Search.<RemoteHypothesis>sample().samples(o.samples()).seed(o.seed).budget(budget)
          .run(process);
      SearchCommand.print(r, prompt, false, out);
      out.printf(Locale.ROOT, "--- %s%n--- remote %s%n", r.stats(), client.tally());
      return 0;
    }
  }

  /** Any other algorithm, through the same registry as {@code eval --remote} (72 tokens, temperature only). */
  private int runNamed(Budget budget) {
    if (o.maxNewTokens != null || o.topP != 1.0) {
      throw new UsageException("search: --max-new-tokens and --top-p over --remote apply to --algorithm sample"
          + " only; --algorithm " + o.algorithm + " samples " + RemotePolicy.MAX_NEW_TOKENS
          + " tokens at --temperature");
    }
    var options = dev.ponder.engine.model.ModelOptions.cpu();
    try (OnnxOutcomeReward orm = o.usesOrm() ? Models.load("search", "--orm", o.orm,
             () -> OnnxOutcomeReward.builder(o.orm).options(options).build()) : null;
         OnnxProcessReward prm = dev.ponder.tasks.countdown.CountdownAlgorithms.needsProcessScorer(o.algorithm)
             ? Models.load("search", "--prm", o.prm, () -> OnnxProcessReward.builder(o.prm).options(options).build())
             : null;
         Solver solver = remote.solver(o.algorithm, o.knobs(), o.temperature,
             orm != null ? orm : CountdownChecker.create(), prm)) {
      SearchResult r = solver.solve(prompt, o.seed, budget);
      SearchCommand.print(r, prompt, !o.algorithm.equals("greedy"), out);
      out.printf(Locale.ROOT, "--- %s%n", r.stats());
      return 0;
    }
  }
}
