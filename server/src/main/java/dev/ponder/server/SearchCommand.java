package dev.ponder.server;

import dev.ponder.engine.Budget;
import dev.ponder.engine.Candidate;
import dev.ponder.engine.Outcome;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.Search;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code ponder search --model DIR --prompt TEXT --samples N --seed S [...]}: samples continuations and prints
 * each with its log-probability, then the counters.
 */
final class SearchCommand {
  static final String USAGE = """
      ponder search --model DIR --prompt TEXT [--samples N] [--seed S] [--temperature T] [--top-k K]
                    [--top-p P] [--min-p M] [--max-new-tokens N] [--budget-tokens T] [--device cpu|cuda:N]
                    [--threads N]
      ponder search --remote URL --remote-model NAME --prompt TEXT [--remote-dialect llama|text]
                    [--remote-api-key-env VAR] [--samples N] [--seed S] [--temperature T] [--top-p P]
                    [--max-new-tokens N] [--budget-tokens T]
        Samples N continuations of TEXT (escape sequences \\n and \\t are expanded) and prints them with their
        log-probabilities and the engine's counters. Defaults: 4 samples, seed 0, temperature 1. With --remote,
        the policy is a model served behind an OpenAI-compatible /v1/completions API (llama.cpp's server: token
        ids; 'text' for engines that take text only); the API key, if any, is read from the environment variable
        VAR (default PONDER_REMOTE_API_KEY).""";

  private SearchCommand() {
  }

  static int run(List<String> argv, PrintStream out) {
    if (argv.contains("--remote")) {
      return RemoteSearchCommand.run(argv, out);
    }
    Args a = new Args("search", argv);
    Path model = Path.of(a.required("model"));
    String prompt = unescape(a.required("prompt"));
    int samples = a.integer("samples", 4);
    long seed = a.longValue("seed", 0);
    double temperature = a.decimal("temperature", 1.0);
    int topK = a.integer("top-k", 0);
    double topP = a.decimal("top-p", 1.0);
    double minP = a.decimal("min-p", 0.0);
    int maxNew = a.integer("max-new-tokens", -1);
    long budgetTokens = a.longValue("budget-tokens", Long.MAX_VALUE);
    String device = a.text("device", "cpu");
    int threads = a.integer("threads", 0);
    a.rejectUnknown();

    ModelOptions options = ModelOptions.cpu().withDevice(device).withThreads(threads, 0);
    long loadStart = System.nanoTime();
    try (LanguageModel lm = LanguageModel.load(model, options)) {
      double loadMs = (System.nanoTime() - loadStart) / 1e6;
      Decoding decoding = new Decoding(temperature, topK, topP, minP,
          maxNew > 0 ? maxNew : lm.defaultMaxNewTokens(), Decoding.sampling().boundary());
      SearchResult r = Search.sample(lm).samples(samples).seed(seed).decoding(decoding)
          .budget(Budget.tokens(budgetTokens)).run(prompt);
      print(r, out);
      out.printf(Locale.ROOT, "--- %s (model load %.0f ms not included; first calls include JIT warm-up)%n",
          r.stats(), loadMs);
      return 0;
    }
  }

  /** The samples with their log-probabilities, then the outcome line. */
  static void print(SearchResult r, PrintStream out) {
    int i = 0;
    for (Candidate c : r.candidates()) {
      out.printf(Locale.ROOT, "--- sample %d  logprob %.4f  tokens %d%s%n", ++i, c.logProb(), c.tokens(),
          c.finished() ? "" : "  (cut at the length limit)");
      out.println(c.text());
    }
    out.println("--- outcome " + r.outcome() + (r.outcome() == Outcome.COMPLETED ? "" : " ("
        + r.stopReason().describe() + ")"));
  }

  static String unescape(String s) {
    return s.replace("\\n", "\n").replace("\\t", "\t");
  }
}
