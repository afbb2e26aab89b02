package dev.ponder.samplers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.testing.PublicTypes;
import java.io.IOException;
import java.net.URISyntaxException;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Pins the module's public surface: the front door, the builders and the vocabularies they take. */
class PublicApiTest {

  @Test
  void publicTypesAreExactlyThese() throws IOException, URISyntaxException, ClassNotFoundException {
    TreeSet<String> names = PublicTypes.of(Search.class);
    assertThat(names).containsExactlyElementsOf(new TreeSet<>(List.of(
        "Search", "SearchBuilder", "ProcessSearch", "NoiseSearchBuilder",
        "NoiseSearchBuilder.Ascent", "NoiseSearchBuilder.Result",
        "SampleSearch", "BestOfNSearch", "TokenBeamSearch", "TokenBeamSearch.EarlyStopping", "StepBeamSearch",
        "ParticleFilterSearch", "MctsSearch", "MctsRule", "MctsLeafValue",
        "RenoSearch", "SpsaSearch", "ZeroOrderSearch",
        "Selection", "Selection.Argmax", "Selection.Majority", "Selection.Soft", "Selection.Weighted",
        "Potential", "Resampling", "ResampleSchedule",
        "NoiseOptimizer", "NoiseOptimizer.Adam", "NoiseOptimizer.SgdNesterov", "NoiseOptimizer.State")));
  }
}
