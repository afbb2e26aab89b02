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
 * @param usage        what the request cost
 */
public record Completion(String text, int[] tokenIds, double[] tokenLogProbs, List<Map<String, Double>> topLogProbs,
    String finishReason, String stopReason, boolean stopReasonReported, Usage usage) {
}
