package dev.ponder.samplers.core;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import java.util.Objects;

/** How a convenience front door opens its process for one run: a language model with its decoding, a diffusion model with its sampler. */
public abstract sealed class ProcessSource<S> {

  /** Opens the process for one run; {@code prompt} is null for a diffusion model. */
  public abstract GenerativeProcess<S> open(String prompt);

  /** A copy with the settings as they are now (for a search that runs later). */
  public abstract ProcessSource<S> copy();

  @SuppressWarnings("unchecked")
  public static <S> ProcessSource<S> lm(LanguageModel policy, Decoding decoding) {
    return (ProcessSource<S>) new Lm(policy, decoding);
  }

  @SuppressWarnings("unchecked")
  public static <S> ProcessSource<S> diffusion(DiffusionModel model, DiffusionSampling sampling) {
    return (ProcessSource<S>) new Diffusion(model, sampling);
  }

  /** The default decoding of a language-model search: sampling, up to the model's default length. */
  public static Decoding defaultDecoding(LanguageModel policy) {
    return Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
  }

  public static final class Lm extends ProcessSource<LmHypothesis> {
    public final LanguageModel policy;
    public Decoding decoding;

    Lm(LanguageModel policy, Decoding decoding) {
      this.policy = Objects.requireNonNull(policy, "policy");
      this.decoding = Objects.requireNonNull(decoding, "decoding");
    }

    @Override
    public GenerativeProcess<LmHypothesis> open(String prompt) {
      return policy.process(prompt, decoding);
    }

    @Override
    public Lm copy() {
      return new Lm(policy, decoding);
    }
  }

  public static final class Diffusion extends ProcessSource<Latent> {
    public final DiffusionModel model;
    public DiffusionSampling sampling;

    Diffusion(DiffusionModel model, DiffusionSampling sampling) {
      this.model = Objects.requireNonNull(model, "model");
      this.sampling = Objects.requireNonNull(sampling, "sampling");
    }

    @Override
    public GenerativeProcess<Latent> open(String prompt) {
      return model.process(sampling);
    }

    @Override
    public Diffusion copy() {
      return new Diffusion(model, sampling);
    }
  }
}
