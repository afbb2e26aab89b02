package dev.ponder.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.PublicTypes;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Pins the engine's public surface, package by package: a new public type is a decision, made here. Vocabularies
 * live inside the type that owns them ({@code SearchResult.StopReason}, {@code ModelOptions.Device}), so the
 * exported packages hold 23 top-level types; issue 13 set at most 45 across engine, samplers and verifiers.
 */
class PublicApiTest {

  @Test
  void theContractsPackage() throws Exception {
    assertThat(PublicTypes.of(GenerativeProcess.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "Budget", "Budget.Limit", "GenerativeProcess", "NoiseGenerator", "NoiseReward",
        "NoiseReward.DifferentiableReward", "NoiseReward.DifferentiableReward.ValueAndGradient", "OutcomeScorer",
        "ProcessScorer", "ProcessScorer.Aggregation", "SearchContext", "SearchContext.Builder",
        "SearchContext.RandomStreams", "SearchContext.RandomStreams.Purpose", "SearchContext.SearchCounters",
        "SearchEvent", "SearchEvent.BadScore", "SearchEvent.Done", "SearchEvent.Expand", "SearchEvent.Finish",
        "SearchEvent.Preview", "SearchEvent.Prune", "SearchEvent.Resample", "SearchEvent.Score",
        "SearchEvent.SearchListener", "SearchEvent.Step", "SearchResult", "SearchResult.Candidate",
        "SearchResult.Outcome", "SearchResult.SearchStats", "SearchResult.StopReason",
        "SearchResult.StopReason.Cancelled", "SearchResult.StopReason.Cancelled.By",
        "SearchResult.StopReason.Completed", "SearchResult.StopReason.LimitReached", "SearchTrace", "SearchTrace.Auto",
        "SearchTrace.Iterates", "SearchTrace.Iterates.Iterate", "SearchTrace.None", "SearchTrace.Particles",
        "SearchTrace.Particles.Generation", "SearchTrace.Tree", "SearchTrace.Tree.Node")));
  }

  @Test
  void theModelPackages() throws Exception {
    assertThat(PublicTypes.of(LanguageModel.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "Decoding", "Decoding.StepBoundary", "Decoding.StepBoundary.Callback", "LanguageModel",
        "LanguageModel.SharedCalls", "LmHypothesis", "LmProcess", "LmProcess.Diagnostics", "LmTokenizer")));
    assertThat(PublicTypes.of(DiffusionModel.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "DiffusionModel", "DiffusionModel.DiffusionSampling", "DiffusionModel.DiffusionSampling.Kind",
        "DiffusionProcess", "GeneratorModel", "Latent")));
    assertThat(PublicTypes.of(ModelOptions.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "ModelContractException", "ModelLoadException", "ModelOptions", "ModelOptions.Device",
        "ModelOptions.Device.Cpu", "ModelOptions.Device.Cuda", "ModelOptions.DeviceUnavailableException",
        "ModelSource", "ModelSource.Opener")));
  }

  @Test
  void theExportedPackagesHoldTwentyThreeTopLevelTypes() throws Exception {
    long topLevel = 0;
    for (Class<?> anchor : List.of(GenerativeProcess.class, LanguageModel.class, DiffusionModel.class,
        ModelOptions.class)) {
      topLevel += PublicTypes.of(anchor).stream().filter(name -> !name.contains(".")).count();
    }
    assertThat(topLevel).isEqualTo(23);
  }
}
