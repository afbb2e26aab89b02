package dev.ponder.server;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult;
import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import dev.ponder.samplers.Search;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * {@code ponder search --remote URL --remote-model NAME --prompt TEXT [...]}: the same sampling as
 * {@link SearchCommand}, over a model served behind an OpenAI-compatible {@code /v1/completions} API.
 */
final class RemoteSearchCommand {
  private static final List<String> LOCAL_ONLY = List.of("model", "top-k", "min-p", "device", "threads");

  private RemoteSearchCommand() {
  }

  static int run(List<String> argv, PrintStream out) {
    Args a = new Args("search", argv);
    RemotePolicy remote = RemotePolicy.fromArgs(a, "search");
    String prompt = SearchCommand.unescape(a.required("prompt"));
    int samples = a.integer("samples", 4);
    long seed = a.longValue("seed", 0);
    double temperature = a.decimal("temperature", 1.0);
    double topP = a.decimal("top-p", 1.0);
    int maxNew = a.integer("max-new-tokens", RemotePolicy.MAX_NEW_TOKENS);
    long budgetTokens = a.longValue("budget-tokens", Long.MAX_VALUE);
    for (String local : LOCAL_ONLY) {
      if (a.text(local, null) != null) {
        throw new Args.UsageException("search: --" + local + " applies to a local model, not to --remote (the"
            + " engine samples with temperature and top-p only; top_k and min_p are sent as off)");
      }
    }
    a.rejectUnknown();
    if (maxNew < 1) {
      throw new Args.UsageException("search: --max-new-tokens must be >= 1, was " + maxNew);
    }
    try (CompletionClient client = new CompletionClient(remote.endpoint());
         RemoteProcess process = RemoteProcess.open(client, prompt,
             RemoteDecoding.whole(maxNew).withTemperature(temperature).withTopP(topP))) {
      SearchResult r = Search.<RemoteHypothesis>sample().samples(samples).seed(seed)
          .budget(Budget.tokens(budgetTokens)).run(process);
      SearchCommand.print(r, out);
      out.printf(Locale.ROOT, "--- %s%n--- remote %s%n", r.stats(), client.tally());
      return 0;
    }
  }
}
