/**
 * Particle filtering (sequential Monte Carlo): the particle filter sees only a Feynman-Kac model (initial
 * distribution, transition, log-potential); a process and a scorer are adapted to it. Feynman-Kac steering of a
 * diffusion model is the same filter over its denoising steps. Potentials, resampling schemes and schedules are
 * the knobs.
 */
package dev.ponder.samplers.smc;
