package dev.ponder.samplers;

import static dev.ponder.remote.FakeCountdownEngine.PROMPT;
import static dev.ponder.remote.FakeCountdownEngine.RIGHT;
import static dev.ponder.remote.FakeCountdownEngine.WRONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.FakeCountdownEngine;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteEndpoint;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ponder's algorithms driving a remote policy through the GenerativeProcess contract, by their package-private
 * entry points (the generic front door is not on main yet). The scripted engine plays a right and a wrong
 * Countdown solution (which one a hypothesis takes is fixed by its first request's seed, so each run is the same); every search must find the right one and release every hypothesis it took.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteSearchTest {
  /** 1 for the right solution, 0 otherwise. */
  private static final OutcomeScorer<RemoteHypothesis> CHECK = (hs, ctx) -> hs.stream()
      .mapToDouble(h -> h.text().equals(RIGHT) ? 1 : 0).toArray();
  /** How far the partial text follows the right solution, 0.1 when it has left it. */
  private static final ProcessScorer<RemoteHypothesis> PRM = (hs, ctx) -> hs.stream()
      .mapToDouble(h -> RIGHT.startsWith(h.text()) ? 0.9 : 0.1).toArray();

  private MockWebServer server;
  private CompletionClient client;
  private RemoteProcess process;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(new FakeCountdownEngine(0, WRONG, RIGHT));
    server.start();
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "countdown"));
    process = RemoteProcess.open(client, PROMPT, RemoteDecoding.lines(72));
  }

  @AfterEach
  void stop() {
    assertThat(process.liveHypotheses()).as("hypotheses the search did not release").isZero();
    process.close();
    client.close();
    server.close();
  }

  private static SearchContext ctx() {
    return SearchContext.builder().seed(3).build();
  }

  @Test
  void bestOfN() {
    SearchResult r = BestOfN.run(process, 8, CHECK, Selection.argmax(), String::trim, ctx());
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
    assertThat(r.candidates()).hasSize(8);
  }

  @Test
  void stepBeamWithLookahead() {
    SearchResult r = StepBeam.run(process, PRM, new StepBeam.Config(4, 2, false, Aggregation.LAST, 8, 1),
        process::advanceGreedy, ctx());
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
  }

  @Test
  void particleFilter() {
    SmcKnobs smc = new SmcKnobs();
    smc.particles(6);
    SearchResult r = ParticleFilter.run(process, PRM, smc.config(8), ctx());
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
  }

  @Test
  void mcts() {
    Mcts.Config cfg = new Mcts.Config(16, 4, 1, 8, MctsRule.PUCT, 1.25, 0, 1, MctsLeafValue.PROCESS, 0, false);
    SearchResult r = Mcts.run(process, PRM, CHECK, RemoteHypothesis::lastStepLogProb, cfg, ctx()).result();
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
  }
}
