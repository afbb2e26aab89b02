package dev.ponder.server.http;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-token log-probabilities of chosen texts, for the OpenAI {@code logprobs} fields. The engine reports a
 * candidate's total log-probability, not its tokens, so the returned choices are fed back through the policy
 * (teacher forcing, all choices in one batch per position): each token's log-probability under the model at
 * temperature 1 without filters (the same quantity as the candidate's total), and the {@code top} most likely
 * tokens at that position. Those tokens are counted in the usage. The texts are re-encoded; when that does not
 * reproduce the search's own total (a tokenizer that does not round-trip), the request is refused rather than
 * answered with numbers of other tokens.
 */
public final class TokenLogprobs {
  /** One alternative at a position. */
  public record Top(String token, double logprob) {}

  /** One generated token. */
  public record Token(String token, double logprob, int offset, List<Top> top) {}

  /** The tokens of each text, and what scoring them cost. */
  public record Scored(List<List<Token>> texts, SearchStats stats) {}

  private TokenLogprobs() {
  }

  /**
   * @param totals   each text's total log-probability as the search reported it (NaN to skip the check; the text
   *                 may have been cut by a stop string), including the end-of-sequence token when {@code ended}
   * @param ended    whether each text ended with an end-of-sequence token
   */
  public static Scored score(LanguageModel policy, String prompt, List<String> texts, double[] totals,
      boolean[] ended, int top) {
    List<int[]> ids = new ArrayList<>();
    int longest = 0;
    for (String t : texts) {
      int[] x = policy.encode(t);
      ids.add(x);
      longest = Math.max(longest, x.length);
    }
    SearchContext ctx = SearchContext.builder().build();
    Decoding forced = Decoding.greedy().withMaxNewTokens(longest + 2);
    List<List<Token>> out = new ArrayList<>();
    double[] sums = new double[texts.size()];
    int eos = policy.eosTokenIds().isEmpty() ? -1 : policy.eosTokenIds().iterator().next();
    try (LmProcess process = policy.process(policy.encode(prompt), forced)) {
      List<LmHypothesis> hs = process.start(texts.size(), ctx);
      int[] offsets = new int[texts.size()];
      for (int i = 0; i < texts.size(); i++) {
        out.add(new ArrayList<>());
      }
      for (int pos = 0; pos <= longest; pos++) {
        List<LmHypothesis> feed = new ArrayList<>();
        List<Integer> who = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
          int[] x = ids.get(i);
          LmHypothesis h = hs.get(i);
          if (pos < x.length) {
            float[] lp = process.nextLogProbs(h);
            String token = policy.tokenizer().decode(new int[] {x[pos]}, false);
            out.get(i).add(new Token(token, lp[x[pos]], offsets[i], top(policy, lp, top)));
            offsets[i] += token.length();
            sums[i] += lp[x[pos]];
            feed.add(h);
            who.add(x[pos]);
          } else if (pos == x.length && ended[i] && eos >= 0) {
            sums[i] += process.nextLogProbs(h)[eos]; // not returned: OpenAI leaves the end token out
          }
        }
        if (!feed.isEmpty()) {
          process.extend(feed, who.stream().mapToInt(Integer::intValue).toArray(), ctx);
        }
      }
    }
    for (int i = 0; i < texts.size(); i++) {
      if (Double.isFinite(totals[i]) && Math.abs(sums[i] - totals[i]) > 1e-3 * Math.max(1, Math.abs(totals[i]))) {
        throw ApiError.unsupported("logprobs", "per-token log-probabilities are not available for this model: its"
            + " tokenizer does not re-encode the generated text to the tokens the search produced (their"
            + " log-probabilities sum to " + sums[i] + ", the search's total is " + totals[i] + ")");
      }
    }
    return new Scored(out, ctx.stats());
  }

  private static List<Top> top(LanguageModel policy, float[] lp, int k) {
    List<Top> out = new ArrayList<>();
    if (k <= 0) {
      return out;
    }
    boolean[] taken = new boolean[lp.length];
    for (int j = 0; j < Math.min(k, lp.length); j++) {
      int best = -1;
      for (int v = 0; v < lp.length; v++) {
        if (!taken[v] && (best < 0 || lp[v] > lp[best])) {
          best = v;
        }
      }
      taken[best] = true;
      out.add(new Top(policy.tokenizer().decode(new int[] {best}, false), lp[best]));
    }
    return out;
  }
}
