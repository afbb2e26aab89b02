package dev.ponder.remote;

import static dev.ponder.remote.FakeCountdownEngine.PROMPT;
import static dev.ponder.remote.FakeCountdownEngine.RIGHT;
import static dev.ponder.remote.FakeCountdownEngine.WRONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.Budget;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.Search;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ponder's algorithms driving a remote policy end to end through the generic front door
 * ({@code Search.bestOfN(scorer)...run(process)}). The scripted engine plays a right and a wrong Countdown
 * solution (which one a hypothesis takes is fixed by its first request's seed, so each run is the same); every
 * search must find the right one and release every hypothesis it took.
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

  @Test
  void bestOfN() {
    SearchResult r = Search.bestOfN(CHECK).n(8).seed(3).run(process);
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
    assertThat(r.candidates()).hasSize(8);
    assertThat(r.stats().modelCalls()).as("one request per hypothesis and line").isEqualTo(8 * 4);
  }

  @Test
  void stepBeamWithLookahead() {
    SearchResult r = Search.stepBeam(PRM).n(4).m(2).lookahead(1).seed(3).run(process);
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
  }

  @Test
  void dvts() {
    SearchResult r = Search.dvts(PRM).n(4).m(2).seed(3).run(process);
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
  }

  @Test
  void particleFilter() {
    SearchResult r = Search.particleFilter(PRM).particles(6).seed(3).run(process);
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
  }

  @Test
  void aTokenBudgetCountedFromTheEnginesUsageStopsTheSearch() {
    // each line costs 1 computed prompt token (the fake caches all but one) plus the line's tokens: about 14
    SearchResult r = Search.stepBeam(PRM).n(4).m(2).seed(3).budget(Budget.tokens(60)).run(process);
    assertThat(r.stopReason()).isInstanceOfSatisfying(StopReason.LimitReached.class,
        s -> assertThat(s.limit()).isEqualTo(Budget.Limit.POLICY_TOKENS));
    assertThat(r.stats().policyTokens()).isBetween(60L, 60L + 4 * 14);
  }

  @Test
  void mcts() {
    SearchResult r = Search.mcts(PRM).outcomeScorer(CHECK).simulations(16).children(4).seed(3).run(process);
    assertThat(r.candidates().get(0).text()).isEqualTo(RIGHT);
  }
}
