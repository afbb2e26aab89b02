package dev.ponder.tasks.countdown;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.testing.PublicTypes;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Pins the tasks module's public surface. */
class PublicApiTest {

  @Test
  void publicTypesAreExactlyThese() throws Exception {
    assertThat(PublicTypes.of(CountdownAlgorithms.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "CountdownAlgorithms", "CountdownAlgorithms.Knobs", "CountdownChecker", "CountdownProblem",
        "CountdownVerdict", "CountdownVerdict.Reason", "TargetSwapCheck")));
  }
}
