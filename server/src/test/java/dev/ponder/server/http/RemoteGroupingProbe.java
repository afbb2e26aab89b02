package dev.ponder.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.EngineDialect;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteEndpoint;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import dev.ponder.samplers.Search;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Best-of-N over {@code ponder serve} as the remote engine (text dialect, 72 tokens, rule checker), one request
 * per hypothesis against {@link RemoteProcess#groupSharedContexts} (one request with {@code n}): requests, engine
 * tokens, correct answers and wall time per problem, the two interleaved problem by problem on one server in this
 * JVM. Not a test: run by hand (numbers in remote/RESULTS.md).
 *
 * <pre>java -cp "server/target/test-classes:server/target/classes:$(cat server/target/cp.txt)" \
 *   dev.ponder.server.http.RemoteGroupingProbe onnx-models/countdown/test.jsonl 30 16</pre>
 */
public final class RemoteGroupingProbe {
  private RemoteGroupingProbe() {
  }

  public static void main(String[] args) throws Exception {
    Path problems = Path.of(args[0]);
    int k = Integer.parseInt(args[1]);
    int n = Integer.parseInt(args[2]);
    List<String> prompts = new ArrayList<>();
    for (String line : Files.readAllLines(problems)) {
      if (prompts.size() == k + 3) {
        break;
      }
      JsonNode p = Json.MAPPER.readTree(line);
      StringBuilder sb = new StringBuilder("numbers:");
      p.get("numbers").forEach(x -> sb.append(' ').append(x.asInt()));
      prompts.add(sb.append(" target: ").append(p.get("target").asInt()).append('\n').toString());
    }
    CountdownChecker checker = CountdownChecker.create();
    try (EmbeddedModels embedded = EmbeddedModels.extract()) {
      ModelRegistry models = ModelRegistry.load(java.util.Map.of("countdown-policy",
          embedded.directories().get("countdown-policy")), ModelOptions.cpu());
      try (PonderServer server = PonderServer.start("127.0.0.1", 0, ApiKey.none(),
          Limits.defaults().withWorkers(4).withQueue(256), models);
           CompletionClient client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.port(),
               "countdown-policy").withDialect(EngineDialect.TEXT))) {
        long[][] ms = new long[2][k];
        long[] requests = new long[2];
        long[] tokens = new long[2];
        int[] correct = new int[2];
        for (int i = 0; i < prompts.size(); i++) {
          boolean warm = i < 3;
          for (int mode = 0; mode < 2; mode++) {
            int which = (i % 2 == 0) ? mode : 1 - mode; // alternate which goes first
            String prompt = prompts.get(i);
            OutcomeScorer<RemoteHypothesis> exact = (hs, ctx) -> checker.score(
                hs.stream().map(h -> VerifierInput.of(prompt, h.text())).toList(), ctx);
            long before = client.tally().answered();
            long t0 = System.nanoTime();
            SearchResult r;
            try (RemoteProcess p = RemoteProcess.open(client, prompt, RemoteDecoding.whole(72))) {
              p.groupSharedContexts(which == 1 ? n : 1);
              r = Search.bestOfN(exact).n(n).seed(i).run(p);
            }
            long t = System.nanoTime() - t0;
            if (!warm) {
              ms[which][i - 3] = t;
              requests[which] += client.tally().answered() - before;
              tokens[which] += r.stats().policyTokens();
              correct[which] += r.candidates().get(0).score() == 1.0 ? 1 : 0;
            }
          }
        }
        String[] names = {"one request per hypothesis", "grouped (n per request)"};
        for (int mode = 0; mode < 2; mode++) {
          long[] sorted = ms[mode].clone();
          Arrays.sort(sorted);
          System.out.printf(Locale.ROOT, "best-of-%d %-28s problems=%d requests/problem=%.1f engine tokens/problem=%.1f"
              + " correct=%d median ms=%.1f mean ms=%.1f%n", n, names[mode], k, requests[mode] / (double) k,
              tokens[mode] / (double) k, correct[mode], sorted[k / 2] / 1e6, Arrays.stream(sorted).average()
                  .orElse(0) / 1e6);
        }
        double[] med = new double[2];
        for (int mode = 0; mode < 2; mode++) {
          long[] sorted = ms[mode].clone();
          Arrays.sort(sorted);
          med[mode] = sorted[k / 2];
        }
        System.out.printf(Locale.ROOT, "speed-up of grouping (median): %.2fx%n", med[0] / med[1]);
      }
    }
  }
}
