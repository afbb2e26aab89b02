package dev.ponder.remote;

import static dev.ponder.remote.FakeCountdownEngine.PROMPT;
import static dev.ponder.remote.FakeCountdownEngine.RIGHT;
import static dev.ponder.remote.FakeCountdownEngine.WRONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The process through the {@code GenerativeProcess} contract, against a scripted llama.cpp stand-in. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RemoteProcessTest {
  private MockWebServer server;
  private CompletionClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private RemoteProcess open(FakeCountdownEngine engine, RemoteDecoding d) throws Exception {
    server = new MockWebServer();
    server.setDispatcher(engine);
    server.start();
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "countdown"));
    return RemoteProcess.open(client, PROMPT, d);
  }

  private static List<RemoteHypothesis> decodeToEnd(RemoteProcess p, List<RemoteHypothesis> hs, SearchContext ctx) {
    for (int step = 0; step < 10; step++) {
      List<RemoteHypothesis> live = new ArrayList<>(hs);
      live.removeIf(p::isTerminal);
      if (live.isEmpty()) {
        break;
      }
      p.advance(live, ctx);
    }
    return hs;
  }

  @Test
  void greedyDecodesLineByLineKeepingStopStringsAndIds() throws Exception {
    FakeCountdownEngine engine = new FakeCountdownEngine(0, RIGHT, WRONG);
    try (RemoteProcess p = open(engine, RemoteDecoding.lines(72).withTemperature(0))) {
      SearchContext ctx = SearchContext.builder().seed(7).build();
      RemoteHypothesis h = p.start(1, ctx).get(0);
      p.advance(List.of(h), ctx);
      assertThat(h.text()).isEqualTo("50 + 25 = 75\n");
      assertThat(h.isTerminal()).isFalse();
      assertThat(h.generatedIds()).containsExactly(FakeCountdownEngine.ids("50 + 25 = 75\n"));
      decodeToEnd(p, List.of(h), ctx);
      assertThat(h.text()).isEqualTo(RIGHT);
      assertThat(h.isFinished()).isTrue();
      assertThat(h.steps()).isEqualTo(4);
      assertThat(h.generatedIds()).as("end of sequence dropped").containsExactly(FakeCountdownEngine.ids(RIGHT));
      // every request after the first carries the prompt's and the generated ids, stop strings included
      JsonNode last = engine.requests.get(engine.requests.size() - 1);
      assertThat(FakeCountdownEngine.text(last.get("prompt"))).isEqualTo(PROMPT + "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\n");
      Candidate c = p.toCandidate(h, 1.0);
      assertThat(c.text()).isEqualTo(RIGHT);
      assertThat(c.finished()).isTrue();
      assertThat(c.tokens()).isEqualTo(RIGHT.length() + 1);
      // logprobs: -0.5 per reported token, -0.25 for end of sequence; the trimmed newlines are not reported
      assertThat(c.logProb()).isCloseTo(-0.5 * (RIGHT.length() - 3) - 0.25, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @Test
  void countersComeFromTheEnginesUsage() throws Exception {
    FakeCountdownEngine engine = new FakeCountdownEngine(0, RIGHT);
    try (RemoteProcess p = open(engine, RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().build();
      decodeToEnd(p, p.start(2, ctx), ctx);
      // 2 hypotheses x 4 steps; the fake says all but one prompt token was cached
      assertThat(ctx.counters().modelCalls()).isEqualTo(8);
      assertThat(ctx.counters().promptTokens()).isEqualTo(8);
      assertThat(ctx.counters().generatedTokens()).isEqualTo(2L * (RIGHT.length() + 1));
      assertThat(ctx.counters().policyTokens()).isEqualTo(8 + 2L * (RIGHT.length() + 1));
      assertThat(client.tally().answered()).isEqualTo(8);
      long sent = 0;
      for (JsonNode r : engine.requests) {
        sent += r.get("prompt").size();
      }
      assertThat(client.tally().promptTokens()).isEqualTo(sent);
      assertThat(client.tally().cachedPromptTokens()).isEqualTo(sent - 8);
    }
  }

  @Test
  void groupingSendsHypothesesWithOneContextAsOneRequestWithN() throws Exception {
    FakeCountdownEngine engine = new FakeCountdownEngine(0, RIGHT, WRONG);
    try (RemoteProcess p = open(engine, RemoteDecoding.lines(72)).groupSharedContexts(4)) {
      SearchContext ctx = SearchContext.builder().seed(5).build();
      List<RemoteHypothesis> hs = decodeToEnd(p, p.start(6, ctx), ctx);
      // round 0: 6 empty contexts in groups of at most 4 (n=4, n=2); the two solutions then part ways, each
      // group's members sharing a line until it ends
      // (a round's requests arrive in any order)
      JsonNode first = engine.requests.get(0).get("n").asInt() == 4 ? engine.requests.get(0) : engine.requests.get(1);
      JsonNode other = first == engine.requests.get(0) ? engine.requests.get(1) : engine.requests.get(0);
      assertThat(first.get("n").asInt()).isEqualTo(4);
      assertThat(other.get("n").asInt()).isEqualTo(2);
      long seed0 = new RandomStreams(5).bits(0, 0, RandomStreams.Purpose.TOKEN, 0) & 0x7FFF_FFFFL;
      assertThat(first.get("seed").asLong()).as("the group's seed is its first hypothesis's").isEqualTo(seed0);
      assertThat(hs).allSatisfy(h -> assertThat(h.isFinished()).isTrue());
      assertThat(hs.stream().map(RemoteHypothesis::text)).contains(RIGHT, WRONG).allMatch(t -> t.equals(RIGHT)
          || t.equals(WRONG));
      assertThat(engine.requests.size()).as("fewer requests than 6 hypotheses x 4 lines").isLessThan(24);
      // completion tokens counted per choice from its ids (the fake, like llama.cpp, reports one choice's usage)
      long expected = hs.stream().mapToLong(h -> h.text().length() + 1).sum();
      assertThat(ctx.counters().generatedTokens()).isEqualTo(expected);
      assertThat(hs.stream().mapToLong(RemoteHypothesis::generatedLength).sum()).isEqualTo(expected);
      assertThat(ctx.counters().modelCalls()).isEqualTo(engine.requests.size());
    }
  }

  @Test
  void groupedRunsRepeatWithTheSameSeed() throws Exception {
    FakeCountdownEngine engine = new FakeCountdownEngine(0, RIGHT, WRONG);
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    try (RemoteProcess p = open(engine, RemoteDecoding.lines(72)).groupSharedContexts(16)) {
      SearchContext ctx = SearchContext.builder().seed(9).build();
      decodeToEnd(p, p.start(5, ctx), ctx).forEach(h -> first.add(h.text()));
    }
    try (RemoteProcess p = RemoteProcess.open(client, PROMPT, RemoteDecoding.lines(72)).groupSharedContexts(16)) {
      SearchContext ctx = SearchContext.builder().seed(9).build();
      decodeToEnd(p, p.start(5, ctx), ctx).forEach(h -> second.add(h.text()));
    }
    assertThat(second).isEqualTo(first);
    assertThat(first).contains(RIGHT, WRONG);
  }

  @Test
  void anEngineThatAnswersFewerChoicesThanNIsAClearError() throws Exception {
    server = new MockWebServer();
    server.enqueue(new mockwebserver3.MockResponse.Builder().code(200).body("{\"choices\": [{\"text\": \"1\","
        + " \"finish_reason\": \"length\"}], \"usage\": {\"prompt_tokens\": 3, \"completion_tokens\": 1}}").build());
    server.start();
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "m")
        .withDialect(EngineDialect.TEXT));
    try (RemoteProcess p = RemoteProcess.open(client, PROMPT, RemoteDecoding.whole(1)).groupSharedContexts(2)) {
      SearchContext ctx = SearchContext.builder().build();
      List<RemoteHypothesis> hs = p.start(2, ctx);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.advance(hs, ctx))
          .hasMessageContaining("answered 1 choices to a request with n=2");
    }
  }

  @Test
  void seedsAreKeyedByLineageAndStepSoRunsRepeat() throws Exception {
    FakeCountdownEngine engine = new FakeCountdownEngine(0, RIGHT, WRONG);
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    try (RemoteProcess p = open(engine, RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().seed(11).build();
      decodeToEnd(p, p.start(6, ctx), ctx).forEach(h -> first.add(h.text()));
    }
    try (RemoteProcess p = RemoteProcess.open(client, PROMPT, RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().seed(11).build();
      decodeToEnd(p, p.start(6, ctx), ctx).forEach(h -> second.add(h.text()));
    }
    assertThat(second).isEqualTo(first);
    assertThat(first).contains(RIGHT, WRONG);
    RandomStreams r = new RandomStreams(11);
    List<Long> round0 = new ArrayList<>();
    List<Long> round1 = new ArrayList<>();
    List<Long> expected0 = new ArrayList<>();
    List<Long> expected1 = new ArrayList<>();
    for (int lineage = 0; lineage < 6; lineage++) { // a round's requests arrive in any order
      round0.add(engine.requests.get(lineage).get("seed").asLong());
      round1.add(engine.requests.get(6 + lineage).get("seed").asLong());
      expected0.add(r.bits(lineage, 0, RandomStreams.Purpose.TOKEN, 0) & 0x7FFF_FFFFL);
      expected1.add(r.bits(lineage, 1, RandomStreams.Purpose.TOKEN, 0) & 0x7FFF_FFFFL);
    }
    assertThat(round0).containsExactlyInAnyOrderElementsOf(expected0);
    assertThat(round1).containsExactlyInAnyOrderElementsOf(expected1);
  }

  @Test
  void aRoundGoesOutConcurrently() throws Exception {
    FakeCountdownEngine engine = new FakeCountdownEngine(150, RIGHT);
    try (RemoteProcess p = open(engine, RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().build();
      List<RemoteHypothesis> hs = p.start(8, ctx);
      long t0 = System.nanoTime();
      p.advance(hs, ctx);
      assertThat(System.nanoTime() - t0).isLessThan(Duration.ofMillis(8 * 150 / 2).toNanos());
      assertThat(engine.maxInFlight()).isGreaterThan(1);
    }
  }

  @Test
  void forkCopiesIdsAndTextAndTakesItsOwnLineage() throws Exception {
    try (RemoteProcess p = open(new FakeCountdownEngine(0, RIGHT), RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().build();
      RemoteHypothesis h = p.start(1, ctx).get(0);
      p.advance(List.of(h), ctx);
      RemoteHypothesis f = p.fork(h, ctx);
      assertThat(f.lineage()).isEqualTo(RandomStreams.childLineage(h.lineage(), 0));
      p.advance(List.of(f), ctx);
      assertThat(h.text()).isEqualTo("50 + 25 = 75\n");
      assertThat(f.text()).isEqualTo("50 + 25 = 75\n75 + 7 = 82\n");
      assertThat(f.generatedIds()).startsWith(h.generatedIds());
      p.release(f);
      p.release(h);
      assertThat(p.liveHypotheses()).isZero();
    }
  }

  @Test
  void aWholeSequenceStepEndsAtEndOfSequenceWithNoStopString() throws Exception {
    server = new MockWebServer();
    server.start();
    server.enqueue(new MockResponse.Builder().code(200).body("{\"choices\":[{\"text\":\"answer: 85\",\"finish_reason\":\"stop\","
        + "\"logprobs\":{\"content\":[{\"id\":19,\"logprob\":-1},{\"id\":0,\"logprob\":-0.5}]}}],"
        + "\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":2}}").build());
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "m"));
    try (RemoteProcess p = RemoteProcess.ofIds(client, PROMPT, FakeCountdownEngine.ids(PROMPT), new int[0],
        RemoteDecoding.whole(72))) {
      SearchContext ctx = SearchContext.builder().build();
      RemoteHypothesis h = p.advance(p.start(1, ctx), ctx).get(0);
      assertThat(h.isFinished()).isTrue();
      assertThat(h.generatedIds()).containsExactly(19);
      assertThat(server.takeRequest().getBody().utf8()).contains("\"max_tokens\":72").doesNotContain("\"stop\"");
    }
  }

  @Test
  void theTokenLimitCutsAHypothesis() throws Exception {
    try (RemoteProcess p = open(new FakeCountdownEngine(0, RIGHT), RemoteDecoding.lines(20))) {
      SearchContext ctx = SearchContext.builder().build();
      RemoteHypothesis h = decodeToEnd(p, p.start(1, ctx), ctx).get(0);
      assertThat(h.isCut()).isTrue();
      assertThat(h.generatedLength()).isEqualTo(20);
      assertThat(h.text()).isEqualTo(RIGHT.substring(0, 20));
      assertThat(engine(0).get("max_tokens").asInt()).isEqualTo(20);
    }
  }

  private JsonNode engine(int i) {
    return ((FakeCountdownEngine) server.getDispatcher()).requests.get(i);
  }

  @Test
  void aDeadlineCancelsTheStepInFlightAndLeavesHypothesesAsTheyWere() throws Exception {
    try (RemoteProcess p = open(new FakeCountdownEngine(3_000, RIGHT), RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().budget(Budget.deadlineOf(Duration.ofMillis(200))).build();
      List<RemoteHypothesis> hs = p.start(3, ctx);
      long t0 = System.nanoTime();
      p.advance(hs, ctx);
      assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(2).toNanos());
      assertThat(hs).allSatisfy(h -> {
        assertThat(h.text()).isEmpty();
        assertThat(h.steps()).isZero();
      });
      assertThat(ctx.stopReason()).isInstanceOfSatisfying(StopReason.LimitReached.class,
          r -> assertThat(r.limit()).isEqualTo(Budget.Limit.WALL_TIME));
      assertThat(client.tally().cancelledRequests()).isEqualTo(3);
    }
  }

  @Test
  void cancellingTheSearchFromAnotherThreadCancelsTheStep() throws Exception {
    try (RemoteProcess p = open(new FakeCountdownEngine(3_000, RIGHT), RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().build();
      List<RemoteHypothesis> hs = p.start(2, ctx);
      Thread canceller = new Thread(() -> {
        try {
          Thread.sleep(150);
        } catch (InterruptedException e) {
          return;
        }
        ctx.cancel();
      });
      canceller.start();
      long t0 = System.nanoTime();
      p.advance(hs, ctx);
      assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(2).toNanos());
      assertThat(ctx.stopReason()).isInstanceOf(StopReason.Cancelled.class);
      canceller.join();
    }
  }

  @Test
  void anInterruptCancelsTheStepAndStopsTheSearch() throws Exception {
    try (RemoteProcess p = open(new FakeCountdownEngine(3_000, RIGHT), RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().build();
      List<RemoteHypothesis> hs = p.start(2, ctx);
      java.util.concurrent.atomic.AtomicReference<StopReason> seen = new java.util.concurrent.atomic.AtomicReference<>();
      Thread searcher = new Thread(() -> {
        p.advance(hs, ctx);
        seen.set(ctx.stopReason());
      });
      searcher.start();
      Thread.sleep(150);
      searcher.interrupt();
      searcher.join(2_000);
      assertThat(searcher.isAlive()).isFalse();
      assertThat(seen.get()).isEqualTo(new StopReason.Cancelled(StopReason.Cancelled.By.INTERRUPT));
      assertThat(hs).allSatisfy(h -> assertThat(h.steps()).isZero());
    }
  }

  @Test
  void anEngineWithoutTokenIdsIsAClearErrorInTheLlamaCppDialect() throws Exception {
    server = new MockWebServer();
    server.start();
    server.enqueue(new MockResponse.Builder().code(200).body("{\"choices\":[{\"text\":\"7\",\"finish_reason\":\"length\"}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}").build());
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "m"));
    try (RemoteProcess p = RemoteProcess.ofIds(client, PROMPT, FakeCountdownEngine.ids(PROMPT), new int[] {1},
        RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().build();
      assertThatThrownBy(() -> p.advance(p.start(1, ctx), ctx))
          .hasMessageContaining("answered without token ids").hasMessageContaining("TEXT dialect");
    }
  }

  @Test
  void theTextDialectSendsTextAndNeedsStopReasonToTellAStopFromTheEnd() throws Exception {
    server = new MockWebServer();
    server.start();
    server.enqueue(new MockResponse.Builder().code(200).body("{\"choices\":[{\"text\":\"50 + 25 = 75\",\"finish_reason\":\"stop\","
        + "\"stop_reason\":\"\\n\"}],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":13}}").build());
    server.enqueue(new MockResponse.Builder().code(200).body("{\"choices\":[{\"text\":\"answer: 75\",\"finish_reason\":\"stop\","
        + "\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":44,\"completion_tokens\":11}}").build());
    server.enqueue(new MockResponse.Builder().code(200).body("{\"choices\":[{\"text\":\"x\",\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}").build());
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "m").withDialect(EngineDialect.TEXT));
    try (RemoteProcess p = RemoteProcess.open(client, PROMPT, RemoteDecoding.lines(72))) {
      SearchContext ctx = SearchContext.builder().build();
      RemoteHypothesis h = p.start(1, ctx).get(0);
      p.advance(List.of(h), ctx);
      p.advance(List.of(h), ctx);
      assertThat(h.text()).isEqualTo("50 + 25 = 75\nanswer: 75");
      assertThat(h.isFinished()).isTrue();
      assertThat(h.generatedIds()).isNull();
      assertThat(server.takeRequest().getBody().utf8()).contains("\"prompt\":\"numbers: 3 7 25 50 target: 85\\n\"");
      assertThat(server.takeRequest().getBody().utf8()).contains("\"prompt\":\"numbers: 3 7 25 50 target: 85\\n50 + 25 = 75\\n\"");
      RemoteHypothesis other = p.start(1, ctx).get(0);
      assertThatThrownBy(() -> p.advance(List.of(other), ctx))
          .hasMessageContaining("without choices[0].stop_reason, so end of sequence cannot be told from the stop string");
    }
  }

  @Test
  void tokenLevelSearchIsRefusedWithAReason() throws Exception {
    try (RemoteProcess p = open(new FakeCountdownEngine(0, RIGHT), RemoteDecoding.lines(72))) {
      RemoteHypothesis h = p.start(1, SearchContext.builder().build()).get(0);
      assertThatThrownBy(() -> p.nextLogProbs(h)).isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("full next-token distribution");
    }
  }

  @Test
  void theLlamaCppDialectTakesOneStopString() throws Exception {
    server = new MockWebServer();
    server.start();
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "m"));
    assertThatThrownBy(() -> RemoteProcess.ofIds(client, PROMPT, new int[] {1}, new int[] {1},
        RemoteDecoding.lines(72).withStep(32, "\n", ".")))
        .hasMessageContaining("at most one step stop string");
  }
}
