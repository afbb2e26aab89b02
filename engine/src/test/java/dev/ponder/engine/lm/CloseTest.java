package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link LanguageModel#close()} refuses new processes, waits for the open ones to finish, and only then frees
 * the model; a process left open past the close timeout fails with a message saying so.
 */
class CloseTest {
  private static final String PROMPT = "answer:";

  private static List<String> greedyTexts(LmProcess p, SearchContext ctx) {
    List<LmHypothesis> hs = p.start(4, ctx);
    while (hs.stream().anyMatch(h -> !h.isTerminal())) {
      hs = p.advance(hs, ctx);
    }
    List<String> texts = new ArrayList<>();
    hs.forEach(h -> texts.add(p.text(h)));
    return texts;
  }

  @Test
  void closeWaitsForASearchInFlightWhichFinishesWithItsFullResult() throws Exception {
    Decoding decoding = Decoding.greedy().withMaxNewTokens(40);
    List<String> expected;
    try (LanguageModel reference = LanguageModel.load(Zoo.model("tiny-gpt2"));
         LmProcess p = reference.process(PROMPT, decoding)) {
      expected = greedyTexts(p, SearchContext.builder().build());
    }

    LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
    CountDownLatch opened = new CountDownLatch(1);
    CountDownLatch closing = new CountDownLatch(1);
    AtomicReference<List<String>> texts = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicBoolean searchDone = new AtomicBoolean();
    Thread searcher = new Thread(() -> {
      try (LmProcess p = lm.process(PROMPT, decoding)) {
        opened.countDown();
        closing.await(); // the whole search runs after close() has begun
        texts.set(greedyTexts(p, SearchContext.builder().build()));
        searchDone.set(true);
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    searcher.start();
    opened.await();
    AtomicBoolean closeReturnedAfterSearch = new AtomicBoolean();
    Thread closer = new Thread(() -> {
      lm.close();
      closeReturnedAfterSearch.set(searchDone.get());
    });
    closer.start();
    while (true) { // close() has begun once new processes are refused
      try (LmProcess ignored = lm.process(PROMPT, decoding)) {
        Thread.onSpinWait();
      } catch (IllegalStateException e) {
        assertThat(e).hasMessageEndingWith("is closed: it starts no new process");
        break;
      }
    }
    assertThat(closer.isAlive()).isTrue();
    closing.countDown();
    searcher.join(30_000);
    closer.join(30_000);
    assertThat(failure.get()).isNull();
    assertThat(texts.get()).isEqualTo(expected);
    assertThat(closeReturnedAfterSearch.get()).isTrue();
    assertThat(lm.openProcesses()).isZero();
    assertThat(lm.session().isClosed()).isTrue();
    assertThat(lm.session().ledger().stillOpen()).isZero();
  }

  @Test
  void aProcessStillOpenAfterTheCloseTimeoutFailsSayingItsModelWasClosed() {
    LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"), ModelOptions.cpu().withCloseTimeout(Duration.ofMillis(50)));
    SearchContext ctx = SearchContext.builder().build();
    LmProcess p = lm.process(PROMPT, Decoding.greedy());
    List<LmHypothesis> hs = p.start(2, ctx);
    lm.close(); // returns after the timeout: the process is abandoned
    assertThat(lm.session().isClosed()).isTrue();
    assertThatThrownBy(() -> p.advance(hs, ctx))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageEndingWith("tiny-gpt2 was closed while this process was open (its close() waited PT0.05S for"
            + " it); close processes before their model");
    p.close();
    assertThat(lm.openProcesses()).isZero();
    assertThat(lm.session().ledger().stillOpen()).isZero();
    lm.close(); // idempotent
  }

  @Test
  void closeWithNoProcessOpenReturnsAtOnceAndAClosedModelStartsNoProcess() throws Exception {
    LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"), ModelOptions.cpu().withCloseTimeout(Duration.ofHours(1)));
    try (LmProcess p = lm.process(PROMPT, Decoding.greedy())) {
      p.start(1, SearchContext.builder().build());
    }
    Thread closer = new Thread(lm::close);
    closer.start();
    closer.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(closer.isAlive()).isFalse();
    assertThatThrownBy(() -> lm.process(PROMPT, Decoding.greedy()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageEndingWith("tiny-gpt2 is closed: it starts no new process");
  }
}
