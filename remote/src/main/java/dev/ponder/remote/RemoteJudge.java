package dev.ponder.remote;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * An LLM-as-a-judge {@link OutcomeScorer} over {@code /v1/completions}: for each hypothesis it sends the judge
 * prompt (rendered by the caller, e.g. "Problem: ... Answer: ... Is the answer correct? Answer Yes or No:"),
 * asks for one token at temperature 0 with the top {@code topLogprobs} alternatives, and reads the verdict from
 * their log-probabilities: score = P(yes) / (P(yes) + P(no)), in [0, 1], where P(yes) sums the probabilities of
 * the listed tokens whose text, trimmed, equals the yes word (so "Yes" and " Yes" both count), and likewise for
 * no. A verdict word absent from the list counts as probability 0; when neither is listed the judge did not
 * answer the question and the call fails with an error that shows what it did list.
 *
 * <p>{@link #rating} reads a rating instead ("Rate the answer from 1 to 5:"): the expected value of the listed
 * tokens that are whole numbers in [lo, hi], weighted by their probabilities renormalized over those, mapped to
 * [0, 1] as {@code (E - lo) / (hi - lo)}; no such token listed is an error, as above.
 *
 * <p>All of a batch's requests go out at once. Counters: {@code verifierCalls} +1 per batch,
 * {@code verifierTokens} + the prompt and completion tokens the engine computed.
 *
 * @param <S> the hypothesis type
 */
public final class RemoteJudge<S> implements OutcomeScorer<S> {
  private final CompletionClient client;
  private final Function<S, String> prompt;
  private final String yes;
  private final String no;
  private final int lo;
  private final int hi;
  private final int topLogprobs;

  /**
   * @param prompt      the judge prompt for a hypothesis, ending where the verdict word should come
   * @param yes         the word for a good answer, e.g. "Yes"
   * @param no          the word for a bad one, e.g. "No"
   * @param topLogprobs how many alternatives to ask for, >= 2 (engines cap it: OpenAI at 5, llama.cpp higher)
   */
  public RemoteJudge(CompletionClient client, Function<S, String> prompt, String yes, String no, int topLogprobs) {
    this.client = Objects.requireNonNull(client, "client");
    this.prompt = Objects.requireNonNull(prompt, "prompt");
    this.yes = Objects.requireNonNull(yes, "yes").trim();
    this.no = Objects.requireNonNull(no, "no").trim();
    if (this.yes.isEmpty() || this.no.isEmpty() || this.yes.equals(this.no)) {
      throw new IllegalArgumentException("yes and no must be two different non-blank words, were '" + yes + "' and '"
          + no + "'");
    }
    if (topLogprobs < 2) {
      throw new IllegalArgumentException("topLogprobs must be >= 2 to see both verdicts, was " + topLogprobs);
    }
    this.topLogprobs = topLogprobs;
    this.lo = 0;
    this.hi = 0;
  }

  private RemoteJudge(CompletionClient client, Function<S, String> prompt, int lo, int hi, int topLogprobs) {
    this.client = Objects.requireNonNull(client, "client");
    this.prompt = Objects.requireNonNull(prompt, "prompt");
    if (lo < 0 || hi <= lo) {
      throw new IllegalArgumentException("a rating needs 0 <= lo < hi, was [" + lo + ", " + hi + "]");
    }
    if (topLogprobs < 2) {
      throw new IllegalArgumentException("topLogprobs must be >= 2, was " + topLogprobs);
    }
    this.yes = null;
    this.no = null;
    this.lo = lo;
    this.hi = hi;
    this.topLogprobs = topLogprobs;
  }

  /**
   * A judge that reads a rating in [lo, hi] from the first token's top alternatives (see the class comment).
   *
   * @param prompt the judge prompt for a hypothesis, ending where the rating should come
   */
  public static <S> RemoteJudge<S> rating(CompletionClient client, Function<S, String> prompt, int lo, int hi,
      int topLogprobs) {
    return new RemoteJudge<>(client, prompt, lo, hi, topLogprobs);
  }

  @Override
  public double[] score(List<S> finished, SearchContext ctx) {
    List<CompletionRequest> requests = new ArrayList<>(finished.size());
    for (S h : finished) {
      requests.add(new CompletionRequest(null, prompt.apply(h), 1, List.of(), 0.0, 1.0, 0, topLogprobs));
    }
    CompletionClient.Round round = client.completeAll(requests, () -> ctx.stopNow() != null);
    ctx.counters().addVerifierCalls(1);
    double[] out = new double[finished.size()];
    Completion[] answers = round.completions();
    for (int i = 0; i < out.length; i++) {
      Completion c = answers[i];
      if (c == null) {
        out[i] = Double.NaN; // stopped (cancelled, interrupted, past the deadline) before the judge answered: ranked last
        continue;
      }
      ctx.counters().addVerifierTokens(c.usage().computedPromptTokens() + c.usage().completionTokens());
      out[i] = verdict(c);
    }
    return out;
  }

  /** P(yes) / (P(yes) + P(no)), or the normalized expected rating, from the first token's top alternatives. */
  double verdict(Completion c) {
    if (c.topLogProbs() == null || c.topLogProbs().isEmpty()) {
      throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
          + " answered the judge without top log-probabilities (asked for " + topLogprobs + ")", null);
    }
    Map<String, Double> top = c.topLogProbs().get(0);
    if (yes == null) {
      return rating(top);
    }
    double pYes = 0;
    double pNo = 0;
    for (Map.Entry<String, Double> e : top.entrySet()) {
      String word = e.getKey().trim();
      if (word.equals(yes)) {
        pYes += Math.exp(e.getValue());
      } else if (word.equals(no)) {
        pNo += Math.exp(e.getValue());
      }
    }
    if (pYes + pNo == 0) {
      throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, "the judge gave neither '" + yes + "' nor '"
          + no + "' among its top " + top.size() + " tokens: " + top.keySet(), null);
    }
    return pYes / (pYes + pNo);
  }

  private double rating(Map<String, Double> top) {
    double mass = 0;
    double sum = 0;
    for (Map.Entry<String, Double> e : top.entrySet()) {
      String word = e.getKey().trim();
      if (!word.matches("[0-9]{1,6}")) {
        continue;
      }
      int r = Integer.parseInt(word);
      if (r >= lo && r <= hi) {
        double p = Math.exp(e.getValue());
        mass += p;
        sum += p * r;
      }
    }
    if (mass == 0) {
      throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, "the judge gave no rating in [" + lo + ", "
          + hi + "] among its top " + top.size() + " tokens: " + top.keySet(), null);
    }
    return (sum / mass - lo) / (hi - lo);
  }
}
