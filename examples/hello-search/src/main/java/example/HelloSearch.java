package example;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.samplers.Search;
import dev.ponder.verifiers.Verifiers;
import java.nio.file.Path;
import java.time.Duration;

/** Best-of-8 on the bundled Countdown policy: the sample whose last line names the target wins. */
public class HelloSearch {
  public static void main(String[] args) {
    Path model = Path.of(args.length > 0 ? args[0] : "onnx-models/countdown/policy");
    try (LanguageModel policy = LanguageModel.load(model)) {
      SearchResult r = Search.bestOfN(policy, Verifiers.ofText("names-85", t -> t.strip().endsWith("answer: 85") ? 1 : 0)
              .asOutcomeScorer())
          .n(8).seed(7)
          .decoding(Decoding.sampling().withTemperature(0.8).withMaxNewTokens(72))
          .budget(Budget.tokens(4_000).withDeadline(Duration.ofSeconds(10)))
          .run("numbers: 3 7 25 50 target: 85\n");
      System.out.println(r.best().text());
      System.out.println(r.best().score() + " " + r.stopReason().describe() + " " + r.stats());
    }
  }
}
