package dev.ponder.verifiers;

import dev.ponder.verifiers.internal.Quoted;

import dev.ponder.engine.lm.LmHypothesis;
import java.util.Objects;

/**
 * What a verifier reads: the prompt and the text generated after it. Equality is exact (every character of both),
 * which makes it the key under which {@link VerifierCache} remembers a score.
 *
 * @param prompt the prompt exactly as the policy saw it (may be empty)
 * @param text   the generated text, end-of-sequence tokens removed
 */
public record VerifierInput(String prompt, String text) {

  public VerifierInput {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(text, "text");
  }

  public static VerifierInput of(String prompt, String text) {
    return new VerifierInput(prompt, text);
  }

  /** The hypothesis's decoded prompt and generated text. */
  public static VerifierInput of(LmHypothesis hypothesis) {
    return new VerifierInput(hypothesis.promptText(), hypothesis.text());
  }

  /** Prompt followed by the generated text. */
  public String full() {
    return prompt + text;
  }

  /** A short, printable form for error messages: quoted, escaped, cut in the middle past 160 characters. */
  public String describe() {
    return "prompt " + Quoted.of(prompt) + ", text " + Quoted.of(text);
  }

}
