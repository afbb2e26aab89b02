/**
 * Diffusion models and one-step generators as processes: {@link dev.ponder.engine.diffusion.DiffusionModel} with a
 * {@link dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling} (DDPM, DDIM with eta) denoises latents step by step;
 * {@link dev.ponder.engine.diffusion.GeneratorModel} maps noise to a sample in one call, for noise searches.
 */
package dev.ponder.engine.diffusion;
