package dev.ponder.server.http;

import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.Search;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Locale;

/**
 * Measures what the HTTP path adds to a best-of-16 search: the same searches (same seeds) run in-process through
 * {@code Search.bestOfN} and through {@code POST /v1/search} on a server in this JVM over loopback, interleaved,
 * on the same loaded models; prints both medians and their ratio. Not a test: run by hand (see bench notes).
 *
 * <pre>java -cp server/target/ponder.jar:server/target/test-classes dev.ponder.server.http.HttpOverheadProbe 200</pre>
 */
public final class HttpOverheadProbe {
  private HttpOverheadProbe() {
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int warmup = Math.max(10, rounds / 5);
    String prompt = "numbers: 3 7 25 50 target: 85\n";
    try (EmbeddedModels embedded = EmbeddedModels.extract()) {
      ModelRegistry models = ModelRegistry.load(embedded.directories(), ModelOptions.cpu());
      try (PonderServer server = PonderServer.start("127.0.0.1", 0, ApiKey.none(), Limits.defaults(), models)) {
        LanguageModel policy = models.policy("countdown-policy", "model");
        OnnxOutcomeReward orm = (OnnxOutcomeReward) models.get("countdown-orm-cached").model();
        Decoding decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/search");
        long[] inProcess = new long[rounds];
        long[] overHttp = new long[rounds];
        for (int i = -warmup; i < rounds; i++) {
          long seed = 1000 + Math.floorMod(i, 50);
          HttpRequest request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{\"model\":"
              + " \"countdown-policy\", \"prompt\": \"numbers: 3 7 25 50 target: 85\\n\", \"algorithm\": \"bon\","
              + " \"n\": 16, \"verifier\": \"countdown-orm-cached\", \"seed\": " + seed + "}")).build();
          // Alternate which path goes first, so that neither always runs on a machine the other just warmed.
          HttpResponse<String> resp = null;
          long httpNanos = 0;
          if (i % 2 != 0) {
            long h0 = System.nanoTime();
            resp = http.send(request, HttpResponse.BodyHandlers.ofString());
            httpNanos = System.nanoTime() - h0;
          }
          long t0 = System.nanoTime();
          SearchResult r = Search.bestOfN(policy, orm.asOutcomeScorer()).n(16).seed(seed).decoding(decoding)
              .run(prompt);
          long t1 = System.nanoTime();
          if (i % 2 == 0) {
            long h0 = System.nanoTime();
            resp = http.send(request, HttpResponse.BodyHandlers.ofString());
            httpNanos = System.nanoTime() - h0;
          }
          if (resp.statusCode() != 200 || !resp.body().contains(Json.write(Json.MAPPER.valueToTree(
              r.best().text())))) {
            throw new IllegalStateException("the HTTP answer differs from the library's: " + resp.body());
          }
          if (i >= 0) {
            inProcess[i] = t1 - t0;
            overHttp[i] = httpNanos;
          }
        }
        double a = median(inProcess) / 1e6;
        double b = median(overHttp) / 1e6;
        System.out.printf(Locale.ROOT, "best-of-16, %d interleaved rounds after %d warm-up: in-process median %.2f ms,"
            + " /v1/search median %.2f ms, ratio %.3f%n", rounds, warmup, a, b, b / a);
      }
    }
  }

  private static double median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }
}
