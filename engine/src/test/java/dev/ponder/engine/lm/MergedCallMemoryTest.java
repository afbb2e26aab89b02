package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A merged call of several searches stays within the model's batch memory limit: the scheduler splits it. */
class MergedCallMemoryTest {
  // 2 layers, 4 KV heads of 8: 512 bytes of KV per row and position; vocabulary 30.
  private static final LmConfig CONFIG = new LmConfig(2, 4, 8, 30, 128, true, true, Set.of(0), 0, 16);

  private static StepScheduler.Request call(int rows, int past) {
    return new StepScheduler.Request(rows, past, 1, null, null, null, null, null, null, false);
  }

  private static List<Integer> sizes(List<List<StepScheduler.Request>> parts) {
    return parts.stream().map(List::size).toList();
  }

  @Test
  void callsAreMergedWhileTheirJointCallFitsAndAnOversizedCallRunsAlone() {
    long threeCalls = BatchForward.callBytes(CONFIG, 12, 20, 1, true);
    StepScheduler scheduler = new StepScheduler(null, CONFIG, threeCalls);
    List<StepScheduler.Request> calls = List.of(call(4, 20), call(4, 20), call(4, 10), call(4, 20), call(16, 20),
        call(2, 5));
    // 4+4+4 rows at past 20 fit exactly; the fourth starts a new part; 16 rows alone exceed the limit but run (their
    // search checked them); 2 more rows would join them past the limit, so they run apart.
    assertThat(sizes(scheduler.withinMemory(calls))).containsExactly(3, 1, 1, 1);
    assertThat(BatchForward.callBytes(CONFIG, 16, 20, 1, true)).isGreaterThan(threeCalls);

    StepScheduler roomy = new StepScheduler(null, CONFIG, Long.MAX_VALUE);
    assertThat(sizes(roomy.withinMemory(calls))).containsExactly(6);
  }
}
