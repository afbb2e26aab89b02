package dev.ponder.remote;

import java.util.List;
import java.util.Map;

/**
 * One parsed answer from {@code /v1/completions} (the first choice).
 *
 * @param text         the generated text as the engine returned it (a matched stop string trimmed, per OpenAI)
 * @param tokenIds     the generated token ids where the engine reports them (llama.cpp with logprobs), else
 *                     {@code null}
 * @param tokenLogProbs the log-probability of each generated token where reported, else {@code null}
 * @param topLogProbs  for each generated token, its top alternatives (token text to log-probability) where
 *                     reported, else {@code null}
 * @param finishReason {@code "stop"} or {@code "length"} (other values are passed through)
 * @param stopReason   the matched stop string where the engine names it ({@code choices[0].stop_reason}), else
 *                     {@code null}
 * @param stopReasonReported whether the answer had a {@code stop_reason} field at all (even null)
 * @param usage        what the request cost (all its choices; as the engine reports it)
 * @param otherChoices choices 1, 2, ... of a request with {@code n} > 1, each with the same {@code usage} and no
 *                     further choices; empty otherwise
 */
public record Completion(String text, int[] tokenIds, double[] tokenLogProbs, List<Map<String, Double>> topLogProbs,
    String finishReason, String stopReason, boolean stopReasonReported, Usage usage, List<Completion> otherChoices) {

  /** This choice and the others, in the answer's order. */
  public List<Completion> allChoices() {
    List<Completion> all = new java.util.ArrayList<>(1 + otherChoices.size());
    all.add(this);
    all.addAll(otherChoices);
    return all;
  }
}
