package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.EngineDialect;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteEndpoint;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import dev.ponder.samplers.Search;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.tasks.countdown.CountdownProblem;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ponder's own server as the remote engine: a {@code RemoteProcess} (text dialect) over {@code ponder serve}'s
 * {@code /v1/completions}, searched by the generic front door with a local verifier, end to end over HTTP.
 */
class RemoteOverServeTest {
  static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = new TestServer(Limits.defaults().withWorkers(2).withQueue(32).withMaxN(64), null);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  private static RemoteEndpoint endpoint() {
    return RemoteEndpoint.of("http://127.0.0.1:" + s.server.port(), "countdown-policy").withDialect(EngineDialect.TEXT);
  }

  @Test
  void bestOfNOverTheServerIsJudgedByTheLocalRuleChecker() {
    CountdownChecker checker = CountdownChecker.create();
    OutcomeScorer<RemoteHypothesis> exact = (hs, ctx) -> checker.score(
        hs.stream().map(h -> VerifierInput.of(PROMPT, h.text())).toList(), ctx);
    try (CompletionClient client = new CompletionClient(endpoint());
         RemoteProcess process = RemoteProcess.open(client, PROMPT, RemoteDecoding.whole(72))) {
      SearchResult r = Search.bestOfN(exact).n(8).seed(3).run(process);
      assertThat(r.candidates()).hasSize(8);
      for (var c : r.candidates()) {
        boolean ok = checker.check(CountdownProblem.parse(PROMPT), c.text()).correct();
        assertThat(c.score()).as(c.text()).isEqualTo(ok ? 1.0 : 0.0);
      }
      assertThat(client.tally().answered()).isEqualTo(8); // one whole-text step per sample
      assertThat(r.stats().modelCalls()).isEqualTo(8);
    }
  }

  @Test
  void theCliSearchesARemoteModel() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = dev.ponder.server.Main.run(List.of("search", "--remote", "http://127.0.0.1:" + s.server.port(),
        "--remote-model", "countdown-policy", "--remote-dialect", "text", "--prompt", PROMPT.replace("\n", "\\n"),
        "--samples", "2", "--seed", "7"), new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as(printed).isZero();
    assertThat(printed).contains("--- sample 1", "--- sample 2", "--- outcome COMPLETED", "answered=2");
  }

  @Test
  void evalRunsStepLevelSearchesOverTheServerWithTheLocalPrm(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path out = dir.resolve("out.jsonl");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int code = dev.ponder.server.Main.run(List.of("eval", "--task", "countdown", "--problems",
        dev.ponder.engine.testing.Zoo.root().resolve("onnx-models/countdown/test.jsonl").toString(), "--limit", "2",
        "--algorithm", "step-beam", "--n", "4", "--m", "2", "--seed", "1", "--out", out.toString(),
        "--prm", dev.ponder.engine.testing.Zoo.root().resolve("onnx-models/countdown/prm-cached").toString(),
        "--remote", "http://127.0.0.1:" + s.server.port(), "--remote-model", "countdown-policy",
        "--remote-dialect", "text"), new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
    assertThat(code).as(printed.toString(StandardCharsets.UTF_8)).isZero();
    List<String> lines = java.nio.file.Files.readAllLines(out);
    assertThat(lines).hasSize(2);
    CountdownChecker checker = CountdownChecker.create();
    for (String line : lines) {
      var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
      String id = json.get("id").asText();
      assertThat(json.get("model_calls").asLong()).as(id).isPositive();
      assertThat(json.get("verifier_calls").asLong()).as("the local PRM scored every step of " + id).isPositive();
      assertThat(json.get("text").asText()).isNotBlank();
    }
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("eval countdown algorithm=step-beam n=4 seed=1 problems=2");
  }

  @Test
  void evalRefusesTokenBeamOverARemotePolicy(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = dev.ponder.server.Main.run(List.of("eval", "--task", "countdown", "--problems",
        dev.ponder.engine.testing.Zoo.root().resolve("onnx-models/countdown/test.jsonl").toString(), "--limit", "1",
        "--algorithm", "beam", "--out", dir.resolve("o.jsonl").toString(),
        "--remote", "http://127.0.0.1:" + s.server.port(), "--remote-model", "countdown-policy",
        "--remote-dialect", "text"), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("algorithm 'beam' (token-level beam search) needs every"
        + " next-token distribution");
  }
}
