package dev.ponder.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.PublicTypes;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Pins the engine's public surface, package by package: a new public type is a decision, made here. */
class PublicApiTest {

  @Test
  void theContractsPackage() throws Exception {
    assertThat(PublicTypes.of(GenerativeProcess.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "Aggregation", "Budget", "Budget.Limit", "Candidate", "DifferentiableReward",
        "DifferentiableReward.ValueAndGradient", "GenerativeProcess", "NoiseGenerator", "NoiseReward", "Outcome",
        "OutcomeScorer", "ProcessScorer", "RandomStreams", "RandomStreams.Purpose", "SearchContext",
        "SearchContext.Builder", "SearchCounters", "SearchEvent", "SearchEvent.BadScore", "SearchEvent.Done",
        "SearchEvent.Expand", "SearchEvent.Finish", "SearchEvent.Preview", "SearchEvent.Prune", "SearchEvent.Resample",
        "SearchEvent.Score", "SearchEvent.Step", "SearchListener", "SearchResult", "SearchStats", "SearchTrace",
        "SearchTrace.Auto",
        "SearchTrace.Iterates", "SearchTrace.Iterates.Iterate", "SearchTrace.None", "SearchTrace.Particles",
        "SearchTrace.Particles.Generation", "SearchTrace.Tree", "SearchTrace.Tree.Node", "StopReason",
        "StopReason.Cancelled", "StopReason.Cancelled.By", "StopReason.Completed", "StopReason.LimitReached")));
  }

  @Test
  void theModelPackages() throws Exception {
    assertThat(PublicTypes.of(LanguageModel.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "Decoding", "LanguageModel", "LanguageModel.SharedCalls", "LmHypothesis", "LmProcess", "LmProcess.Diagnostics",
        "LmTokenizer", "StepBoundary", "StepBoundary.Callback")));
    assertThat(PublicTypes.of(DiffusionModel.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "DiffusionModel", "DiffusionProcess", "DiffusionSampling", "DiffusionSampling.Kind", "GeneratorModel", "Latent",
        "NoiseSchedule")));
    assertThat(PublicTypes.of(ModelOptions.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "Device", "Device.Cpu", "Device.Cuda", "DeviceUnavailableException", "ModelContractException",
        "ModelLoadException", "ModelOptions", "ModelSource", "ModelSource.Opener")));
  }
}
