package dev.ponder.samplers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Pins the module's public surface: the front door, the builders and the vocabularies they take. */
class PublicApiTest {

  @Test
  void publicTypesAreExactlyThese() throws IOException, URISyntaxException, ClassNotFoundException {
    Path dir = Path.of(Search.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve("dev/ponder/samplers");
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String simple = f.getFileName().toString().replace(".class", "");
        Class<?> c = Class.forName("dev.ponder.samplers." + simple);
        boolean visible = Modifier.isPublic(c.getModifiers());
        for (Class<?> outer = c.getEnclosingClass(); outer != null && visible; outer = outer.getEnclosingClass()) {
          visible = Modifier.isPublic(outer.getModifiers());
        }
        if (visible && !c.isAnonymousClass()) {
          names.add(simple.replace('$', '.'));
        }
      }
    }
    assertThat(names).containsExactlyElementsOf(new TreeSet<>(List.of(
        "Search", "SearchBuilder", "LmSearchBuilder", "DiffusionSearchBuilder", "NoiseSearchBuilder",
        "NoiseSearchBuilder.Ascent", "NoiseSearchBuilder.Result",
        "SampleSearch", "BestOfNSearch", "TokenBeamSearch", "TokenBeamSearch.EarlyStopping", "StepBeamSearch",
        "ParticleFilterSearch", "MctsSearch", "MctsRun", "MctsRule", "MctsLeafValue",
        "FeynmanKacSearch", "DiffusionBestOfNSearch", "RenoSearch", "SpsaSearch", "ZeroOrderSearch",
        "Selection", "Selection.Argmax", "Selection.Majority", "Selection.Soft", "Selection.Weighted",
        "Aggregation", "Potential", "Resampling", "ResampleSchedule", "Weights",
        "NoiseOptimizer", "NoiseOptimizer.Adam", "NoiseOptimizer.SgdNesterov", "NoiseOptimizer.State",
        "NoiseNeighbours")));
  }
}
