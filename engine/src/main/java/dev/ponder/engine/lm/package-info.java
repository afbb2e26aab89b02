/**
 * Language models as processes: {@link dev.ponder.engine.lm.LanguageModel} loads a Hugging Face optimum export,
 * {@link dev.ponder.engine.lm.LmProcess} decodes every live hypothesis with one batched call per token position and
 * never re-processes a prefix (KV rows shared by forks), {@link dev.ponder.engine.lm.Decoding} and
 * {@link dev.ponder.engine.lm.Decoding.StepBoundary} say how tokens are chosen and where a step ends.
 */
package dev.ponder.engine.lm;
