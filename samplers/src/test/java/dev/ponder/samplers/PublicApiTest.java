package dev.ponder.samplers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.testing.PublicTypes;
import dev.ponder.samplers.auto.AutoSearch;
import dev.ponder.samplers.beam.StepBeamSearch;
import dev.ponder.samplers.bestofn.BestOfNSearch;
import dev.ponder.samplers.core.RoundDriver;
import dev.ponder.samplers.mcts.MctsSearch;
import dev.ponder.samplers.noise.NoiseSearchBuilder;
import dev.ponder.samplers.smc.ParticleFilterSearch;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Pins the module's public surface: the front door, the builders and the vocabularies they take, package by
 * package. The shared machinery ({@code core}) is public for the family packages but not exported.
 */
class PublicApiTest {

  @Test
  void theFrontDoor() throws IOException, URISyntaxException, ClassNotFoundException {
    assertThat(PublicTypes.of(Search.class)).containsExactly("ProcessSearch", "Search", "SearchBuilder");
  }

  @Test
  void oneSubPackagePerFamily() throws IOException, URISyntaxException, ClassNotFoundException {
    assertThat(PublicTypes.of(BestOfNSearch.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "BestOfNSearch", "BestOfNSearch.SampleSearch", "BestOfNSearch.Selection", "BestOfNSearch.Selection.Argmax",
        "BestOfNSearch.Selection.Majority", "BestOfNSearch.Selection.Soft", "BestOfNSearch.Selection.Weighted")));
    assertThat(PublicTypes.of(StepBeamSearch.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "StepBeamSearch", "TokenBeamSearch", "TokenBeamSearch.EarlyStopping")));
    assertThat(PublicTypes.of(ParticleFilterSearch.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "ParticleFilterSearch", "ParticleFilterSearch.Potential", "ParticleFilterSearch.Resampling",
        "ParticleFilterSearch.ResampleSchedule")));
    assertThat(PublicTypes.of(MctsSearch.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "MctsSearch", "MctsSearch.MctsRule", "MctsSearch.MctsLeafValue")));
    assertThat(PublicTypes.of(NoiseSearchBuilder.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "NoiseSearchBuilder", "NoiseSearchBuilder.Ascent", "NoiseSearchBuilder.Result",
        "NoiseSearchBuilder.RenoSearch", "NoiseSearchBuilder.SpsaSearch", "NoiseSearchBuilder.ZeroOrderSearch",
        "NoiseOptimizer", "NoiseOptimizer.Adam", "NoiseOptimizer.SgdNesterov", "NoiseOptimizer.State")));
    assertThat(PublicTypes.of(AutoSearch.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "AutoSearch", "AutoRule", "AutoRule.Choice", "AutoRule.Clause", "AutoRule.Feature", "AutoRule.Kind")));
  }

  /** Issue 13 set at most 45 top-level public types across engine, samplers and verifiers: 23 + 12 + 10. */
  @Test
  void theExportedPackagesHoldTwelveTopLevelTypes() throws IOException, URISyntaxException, ClassNotFoundException {
    long topLevel = 0;
    for (Class<?> anchor : List.of(Search.class, BestOfNSearch.class, StepBeamSearch.class,
        ParticleFilterSearch.class, MctsSearch.class, NoiseSearchBuilder.class, AutoSearch.class)) {
      topLevel += PublicTypes.of(anchor).stream().filter(name -> !name.contains(".")).count();
    }
    assertThat(topLevel).isEqualTo(12);
  }

  @Test
  void theModuleExportsTheFrontDoorAndTheFamiliesButNotTheRoundDriver() throws IOException, URISyntaxException {
    // The tests run on the class path, so read the compiled descriptor itself.
    Path classes = Path.of(Search.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor module;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      module = ModuleDescriptor.read(in);
    }
    Set<String> exported = module.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
    assertThat(exported).containsExactlyInAnyOrder("dev.ponder.samplers", "dev.ponder.samplers.bestofn",
        "dev.ponder.samplers.beam", "dev.ponder.samplers.smc", "dev.ponder.samplers.mcts", "dev.ponder.samplers.noise",
        "dev.ponder.samplers.auto");
    assertThat(exported).doesNotContain(RoundDriver.class.getPackageName());
  }
}
