package dev.ponder.remote;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How a remote step is sampled and where it ends: one step is one completion request with the step's stop strings
 * and at most {@code stepMaxTokens} tokens (fewer when the hypothesis is near {@code maxNewTokens}).
 *
 * @param temperature   0 for greedy, otherwise > 0
 * @param topP          in (0, 1], 1 = off
 * @param maxNewTokens  the most tokens a hypothesis may generate; reaching it cuts the hypothesis
 * @param stepStops     strings that end a step (kept in the hypothesis's text, as the in-process step keeps them);
 *                      the llama.cpp dialect takes at most one, since its answer does not say which one matched
 * @param stepMaxTokens the most tokens in one step, >= 1
 * @param eosIds        the engine's end-of-sequence token ids (llama.cpp dialect: how a finished step is told
 *                      from one that hit its stop string)
 */
public record RemoteDecoding(double temperature, double topP, int maxNewTokens, List<String> stepStops,
    int stepMaxTokens, Set<Integer> eosIds) {

  public RemoteDecoding {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), was " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), was " + topP);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be >= 1, was " + maxNewTokens);
    }
    if (stepMaxTokens < 1) {
      throw new IllegalArgumentException("stepMaxTokens must be >= 1, was " + stepMaxTokens);
    }
    stepStops = List.copyOf(stepStops);
    for (String s : stepStops) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty");
      }
    }
    eosIds = Set.copyOf(Objects.requireNonNull(eosIds, "eosIds"));
  }

  /**
   * Countdown's reasoning step: a line (stop at {@code "\n"}, at most 32 tokens), sampled at temperature 1 with no
   * filter, at most {@code maxNewTokens} in all, end of sequence id 0.
   */
  public static RemoteDecoding lines(int maxNewTokens) {
    return new RemoteDecoding(1.0, 1.0, maxNewTokens, List.of("\n"), 32, Set.of(0));
  }

  /**
   * One request per hypothesis: no stop string, the whole {@code maxNewTokens} in one step (best-of-N, plain
   * sampling), temperature 1, no filter, end of sequence id 0.
   */
  public static RemoteDecoding whole(int maxNewTokens) {
    return new RemoteDecoding(1.0, 1.0, maxNewTokens, List.of(), maxNewTokens, Set.of(0));
  }

  public boolean isGreedy() {
    return temperature == 0;
  }

  public RemoteDecoding withTemperature(double value) {
    return new RemoteDecoding(value, topP, maxNewTokens, stepStops, stepMaxTokens, eosIds);
  }

  public RemoteDecoding withTopP(double value) {
    return new RemoteDecoding(temperature, value, maxNewTokens, stepStops, stepMaxTokens, eosIds);
  }

  public RemoteDecoding withMaxNewTokens(int value) {
    return new RemoteDecoding(temperature, topP, value, stepStops, stepMaxTokens, eosIds);
  }

  public RemoteDecoding withStep(int maxTokens, String... stops) {
    return new RemoteDecoding(temperature, topP, maxNewTokens, List.of(stops), maxTokens, eosIds);
  }

  public RemoteDecoding withEosIds(Set<Integer> value) {
    return new RemoteDecoding(temperature, topP, maxNewTokens, stepStops, stepMaxTokens, value);
  }
}
