package dev.ponder.samplers.beam;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.samplers.core.RoundDriver;
import dev.ponder.samplers.core.Rounds;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Token-level beam search with the exact semantics of Hugging Face transformers' {@code _beam_search}
 * (transformers 4.57, batch size 1, {@code do_sample=False}), so that it reproduces {@code generate} token for
 * token.
 *
 * <p>State: {@code numBeams} live beams with their summed log-probabilities {@code beamScores} (float32, as
 * transformers keeps them) and at most {@code numBeams} finished hypotheses, best first. At the start only the
 * first beam is real: the others are copies of the prompt scored -1e9, so the first step draws from one
 * distribution (transformers' initial beam scores).
 *
 * <p>One step, for {@code K = max(2, 1 + #eos) * numBeams} ({@code beams_to_keep}):
 * <ol>
 *   <li>every continuation (beam b, token t) scores {@code beamScores[b] + logSoftmax(b)[t]}; take the K best of
 *       all {@code numBeams * vocab} (ties: lower flat index first);</li>
 *   <li>a candidate <i>hits a stop</i> when t is an end-of-sequence id or it is the {@code maxNewTokens}-th
 *       token;</li>
 *   <li>the next live beams are the {@code numBeams} best candidates after adding -1e9 to those that hit a stop
 *       (K leaves at least {@code numBeams} that do not, except at the length limit);</li>
 *   <li>only candidates ranked within the first {@code numBeams} that hit a stop may finish: each is scored
 *       {@code sum / generatedLength ** lengthPenalty} (the length counts the end-of-sequence token) and
 *       competes with the finished ones for the {@code numBeams} places;</li>
 *   <li>stop when every one of the K candidates hits a stop (the length limit), or with
 *       {@link TokenBeamSearch.EarlyStopping#EARLY} when {@code numBeams} have finished, or when the best live
 *       beam's score divided by {@code L ** lengthPenalty} no longer beats the worst finished one (any while
 *       fewer than {@code numBeams} have finished), with {@code L = maxNewTokens} for
 *       {@link TokenBeamSearch.EarlyStopping#NEVER} and {@code lengthPenalty > 0}, else the current length.</li>
 * </ol>
 * The first {@code numReturnSequences} finished hypotheses are the result; their scores are transformers'
 * {@code sequences_scores}.
 *
 * <p>Cost: one batched {@link LmProcess#extend} model call per step for all live beams; a beam with several
 * chosen continuations is forked (it shares its KV rows), a beam with none is released, and a finished
 * hypothesis keeps its tokens but gives its KV rows back at once. The last step, after which the search stops,
 * feeds nothing.
 *
 * <p>Parity: scores are float32 sums of float32 log-probabilities, as in transformers, so ranks and ties agree
 * up to the model's own numeric differences. Each decision's margin (the score gap that would flip it) is
 * tracked, and {@link Run#closest()} names the smallest, so a golden-file test can tell a near-tie from a bug.
 */
final class TokenBeam implements Rounds {
  /** transformers' "very large negative" score: initial dummy beams, candidates that hit a stop, empty places. */
  static final float NEG = -1.0e9f;

  /** The algorithm's knobs (validated by {@link TokenBeamSearch}); {@code maxNewTokens} is the process's. */
  record Config(int numBeams, double lengthPenalty, TokenBeamSearch.EarlyStopping earlyStopping,
      int numReturnSequences, Set<Integer> eosIds) {
    Config {
      Objects.requireNonNull(earlyStopping, "earlyStopping");
      eosIds = Set.copyOf(eosIds);
    }
  }

  /** The smallest score gap behind any decision of a search, at which step, and which decision it was. */
  record Margin(double value, int step, String decision) {
    static final Margin NONE = new Margin(Double.POSITIVE_INFINITY, -1, "no decision");
  }

  /** A search's result with each candidate's generated token ids (end of sequence included) and closest call. */
  record Run(SearchResult result, List<int[]> tokens, Margin closest) {
  }

  /**
   * A finished hypothesis (tokens kept, KV released), or a candidate of this step that may finish: its
   * hypothesis is still null and {@code rank} is its place among this step's candidates.
   */
  private static final class Finished {
    LmHypothesis h;
    final float score;
    final int rank;
    int node = TreeRecorder.ROOT;

    Finished(LmHypothesis h, float score, int rank) {
      this.h = h;
      this.score = score;
      this.rank = rank;
    }
  }

  private static final Comparator<Finished> BEST_FIRST = (a, b) -> Float.compare(b.score, a.score);

  private final LmProcess process;
  private final Config cfg;
  private final SearchContext ctx;
  private final int numBeams;
  private final int k;
  private final int maxNewTokens;
  private final int[] topIndex;
  private final float[] topScore;
  private final boolean[] hits;
  private final float[] stopped;
  private final int[] runRank;
  private final float[] runScore;
  private LmHypothesis[] beams;
  private float[] beamScores;
  private List<Finished> finished = new ArrayList<>();
  private int generated;
  private int vocab;
  private boolean[] eos;
  private float[] scores;
  private Margin closest = Margin.NONE;
  private final TreeRecorder recorder = new TreeRecorder(-1);
  private int[] beamNode;
  private int chosen = -1;
  private final List<int[]> tokens = new ArrayList<>();

  private TokenBeam(LmProcess process, Config cfg, SearchContext ctx) {
    this.process = process;
    this.cfg = cfg;
    this.ctx = ctx;
    this.numBeams = cfg.numBeams();
    this.k = Math.max(2, 1 + cfg.eosIds().size()) * numBeams;
    this.maxNewTokens = process.decoding().maxNewTokens();
    this.topIndex = new int[k + 1];
    this.topScore = new float[k + 1];
    this.hits = new boolean[k + 1];
    this.stopped = new float[k];
    this.runRank = new int[numBeams];
    this.runScore = new float[numBeams];
  }

  static Run run(LmProcess process, Config cfg, SearchContext ctx) {
    TokenBeam search = new TokenBeam(process, cfg, ctx);
    search.begin();
    SearchResult result = RoundDriver.run(search, ctx);
    return new Run(result, search.tokens, search.closest);
  }

  @Override
  public int live() {
    return numBeams;
  }

  /** Ended, or the model's position limit cut the beams before maxNewTokens (they are returned as they are). */
  @Override
  public boolean done() {
    return beams == null || beams[0].isTerminal();
  }

  @Override
  public void round(int step) {
    step(step);
  }

  /** The beams' tree, token by token: the best candidate's path marked, beams that found no continuation pruned. */
  @Override
  public SearchTrace trace() {
    return recorder.build(chosen);
  }

  @Override
  public void release() {
    if (beams != null) {
      for (LmHypothesis h : beams) {
        process.release(h);
      }
      beams = null;
    }
  }

  /** The prompt once, and numBeams - 1 dummy copies of it scored -1e9 (transformers' initial beam scores). */
  private void begin() {
    beams = new LmHypothesis[numBeams];
    beamScores = new float[numBeams];
    beamNode = new int[numBeams]; // every beam starts at the prompt, the tree's root
    beams[0] = process.start(1, ctx).get(0);
    List<Long> copies = new ArrayList<>();
    for (int i = 1; i < numBeams; i++) {
      beams[i] = process.fork(beams[0], ctx);
      beamScores[i] = NEG;
      copies.add(beams[i].lineage());
    }
    if (!copies.isEmpty()) {
      ctx.emit(new SearchEvent.Expand(beams[0].lineage(), copies));
    }
  }

  private void step(int step) {
    scoreContinuations();
    int total = numBeams * vocab;
    int n = topK(scores, total, Math.min(k + 1, total), topIndex, topScore);
    int kept = Math.min(k, n);
    boolean lastToken = generated + 1 >= maxNewTokens;
    boolean allHit = true;
    for (int r = 0; r < n; r++) {
      hits[r] = lastToken || eos[topIndex[r] % vocab];
      allHit &= r >= kept || hits[r];
    }
    if (!allHit) {
      chooseRunning(kept, n, step);
    }
    List<Finished> fresh = mergeFinished(kept, n, total, step);
    generated++;
    boolean full = finished.size() == numBeams;
    boolean done = allHit || (cfg.earlyStopping() == TokenBeamSearch.EarlyStopping.EARLY && full) || !improvable(step);
    materialize(fresh, !done);
  }

  /** scores[b * vocab + t] = beamScores[b] + log p(t | beam b), in float32 as transformers adds them. */
  private void scoreContinuations() {
    for (int b = 0; b < numBeams; b++) {
      float[] logProbs = process.nextLogProbs(beams[b]);
      if (scores == null) {
        vocab = logProbs.length;
        scores = new float[numBeams * vocab];
        eos = new boolean[vocab];
        cfg.eosIds().stream().filter(t -> t >= 0 && t < vocab).forEach(t -> eos[t] = true);
      }
      float base = beamScores[b];
      int offset = b * vocab;
      for (int t = 0; t < vocab; t++) {
        scores[offset + t] = logProbs[t] + base;
      }
    }
  }

  /** The next live beams: the numBeams best of the first {@code kept} candidates, -1e9 added to stop hits. */
  private void chooseRunning(int kept, int n, int step) {
    for (int r = 0; r < kept; r++) {
      stopped[r] = hits[r] ? topScore[r] + NEG : topScore[r];
    }
    topK(stopped, kept, numBeams, runRank, runScore);
    float lastLive = Float.NaN;
    int seen = 0;
    for (int r = 0; r < n; r++) {
      if (hits[r]) {
        continue;
      }
      if (seen++ == numBeams) {
        note(lastLive - topScore[r], step, "which candidates stay live beams");
        break;
      }
      lastLive = topScore[r];
    }
  }

  /**
   * Lets the stop hits ranked within the first numBeams candidates compete for the finished places. Returns
   * the new ones that won a place (their hypotheses are made by {@link #materialize}).
   */
  private List<Finished> mergeFinished(int kept, int n, int total, int step) {
    int inside = Math.min(numBeams, kept);
    noteFinishingMargins(inside, n, total, step);
    float length = (float) Math.pow(generated + 1, cfg.lengthPenalty());
    List<Finished> merged = new ArrayList<>(finished);
    for (int r = 0; r < inside; r++) {
      if (hits[r]) {
        merged.add(new Finished(null, topScore[r] / length, r));
      }
    }
    if (merged.size() == finished.size()) {
      return List.of();
    }
    merged.sort(BEST_FIRST); // stable: earlier finished, then lower rank, win ties (transformers' topk order)
    for (int i = 0; i + 1 < Math.min(merged.size(), numBeams + 1); i++) {
      note(merged.get(i).score - merged.get(i + 1).score, step, "the order of the finished hypotheses");
    }
    List<Finished> fresh = new ArrayList<>();
    for (int i = 0; i < merged.size(); i++) {
      Finished f = merged.get(i);
      if (i < numBeams && f.h == null) {
        fresh.add(f);
      } else if (i >= numBeams && f.h != null) {
        ctx.emit(new SearchEvent.Prune(f.h.lineage(), "finished, but below the best " + numBeams));
      }
    }
    finished = new ArrayList<>(merged.subList(0, Math.min(numBeams, merged.size())));
    return fresh;
  }

  /** Margins of "which stop hits rank within the first numBeams candidates" (the ones that may finish). */
  private void noteFinishingMargins(int inside, int n, int total, int step) {
    float firstOutside = inside < n ? topScore[inside] : Float.NEGATIVE_INFINITY;
    float lastHitInside = Float.NaN;
    float lastOtherInside = Float.NaN;
    for (int r = 0; r < inside; r++) {
      if (hits[r]) {
        lastHitInside = topScore[r];
      } else {
        lastOtherInside = topScore[r];
      }
    }
    float bestHitOutside = n < total ? topScore[n - 1] : Float.NEGATIVE_INFINITY; // a bound beyond the top K + 1
    for (int r = inside; r < n; r++) {
      if (hits[r]) {
        bestHitOutside = topScore[r];
        break;
      }
    }
    if (!Float.isNaN(lastHitInside)) {
      note(lastHitInside - firstOutside, step, "which stop hits rank within the first numBeams");
    }
    if (!Float.isNaN(lastOtherInside)) {
      note(lastOtherInside - bestHitOutside, step, "which stop hits rank within the first numBeams");
    }
  }

  /** transformers' early-stop heuristic: can the best live beam still beat the worst finished hypothesis? */
  private boolean improvable(int step) {
    boolean never = cfg.earlyStopping() == TokenBeamSearch.EarlyStopping.NEVER;
    int length = never && cfg.lengthPenalty() > 0 ? maxNewTokens : generated;
    float best = runScore[0] / (float) Math.pow(length, cfg.lengthPenalty());
    if (finished.size() < numBeams) {
      return best > NEG; // an empty place counts as -1e9
    }
    float worst = finished.get(numBeams - 1).score;
    note(Math.abs((double) best - worst), step, "whether a live beam can still beat the finished");
    return best > worst;
  }

  /**
   * Makes the chosen continuations: each parent beam becomes its first child and is forked for the others;
   * parents with no child are released. Finished ones are appended in one call (no model call: they are
   * terminal) and give their KV rows back; live ones are appended in one batched model call.
   */
  private void materialize(List<Finished> fresh, boolean keepRunning) {
    boolean[] used = new boolean[numBeams];
    List<List<Long>> forks = new ArrayList<>();
    for (int b = 0; b < numBeams; b++) {
      forks.add(new ArrayList<>());
    }
    List<LmHypothesis> live = new ArrayList<>(numBeams);
    int[] liveTokens = new int[keepRunning ? numBeams : 0];
    for (int j = 0; j < liveTokens.length; j++) {
      live.add(child(topIndex[runRank[j]] / vocab, used, forks));
      liveTokens[j] = topIndex[runRank[j]] % vocab;
    }
    List<LmHypothesis> ended = new ArrayList<>(fresh.size());
    int[] endTokens = new int[fresh.size()];
    for (int j = 0; j < fresh.size(); j++) {
      ended.add(child(topIndex[fresh.get(j).rank] / vocab, used, forks));
      endTokens[j] = topIndex[fresh.get(j).rank] % vocab;
    }
    for (int b = 0; b < numBeams; b++) {
      if (!used[b]) {
        ctx.emit(new SearchEvent.Prune(beams[b].lineage(), "no continuation among the best " + numBeams));
        process.release(beams[b]);
      } else if (!forks.get(b).isEmpty()) {
        ctx.emit(new SearchEvent.Expand(beams[b].lineage(), forks.get(b)));
      }
    }
    for (int b = 0; b < numBeams; b++) {
      if (!used[b]) {
        recorder.prune(beamNode[b]);
      }
    }
    if (!ended.isEmpty()) {
      process.extend(ended, endTokens, ctx);
      for (int j = 0; j < ended.size(); j++) {
        LmHypothesis h = ended.get(j);
        fresh.get(j).h = h;
        fresh.get(j).node = recorder.add(beamNode[topIndex[fresh.get(j).rank] / vocab], h.lineage(), h.text(),
            fresh.get(j).score, true);
        ctx.emit(new SearchEvent.Finish(h.lineage(), h.text()));
        ctx.emit(new SearchEvent.Score(h.lineage(), "beam", fresh.get(j).score));
        process.release(h); // the tokens stay readable; the KV rows are not needed any more
      }
    }
    if (keepRunning) {
      process.extend(live, liveTokens, ctx);
      int[] nodes = new int[numBeams];
      for (int j = 0; j < live.size(); j++) {
        nodes[j] = recorder.add(beamNode[topIndex[runRank[j]] / vocab], live.get(j).lineage(), live.get(j).text(),
            runScore[j], false);
      }
      beamNode = nodes;
      beams = live.toArray(new LmHypothesis[0]);
      beamScores = runScore.clone();
    } else {
      beams = null;
    }
  }

  private LmHypothesis child(int parent, boolean[] used, List<List<Long>> forks) {
    if (!used[parent]) {
      used[parent] = true;
      return beams[parent];
    }
    LmHypothesis h = process.fork(beams[parent], ctx);
    forks.get(parent).add(h.lineage());
    return h;
  }

  /**
   * The finished hypotheses best first; after a budget stop or a cancel, the live beams (not finished, scored
   * over their current length) fill the places left, up to numReturnSequences.
   */
  @Override
  public List<Candidate> finish(StopReason why) {
    List<Candidate> candidates = new ArrayList<>();
    for (Finished f : finished) {
      if (chosen < 0) {
        chosen = f.node;
      }
      if (candidates.size() < cfg.numReturnSequences()) {
        candidates.add(new Candidate(f.h.text(), f.score, f.h.logProb(), f.h.generatedLength(), f.h.isFinished()));
        tokens.add(f.h.generatedTokens());
      }
    }
    if (beams != null) {
      float length = generated == 0 ? 1f : (float) Math.pow(generated, cfg.lengthPenalty());
      for (int b = 0; b < numBeams; b++) {
        LmHypothesis h = beams[b];
        if (beamScores[b] > NEG && candidates.size() < cfg.numReturnSequences()) {
          if (chosen < 0) {
            chosen = beamNode[b];
          }
          candidates.add(new Candidate(h.text(), beamScores[b] / length, h.logProb(), h.generatedLength(), false));
          tokens.add(h.generatedTokens());
        }
        process.release(h);
      }
      beams = null;
    }
    return candidates;
  }

  private void note(double gap, int step, String decision) {
    if (gap < closest.value()) {
      closest = new Margin(gap, step, decision);
    }
  }

  /**
   * The {@code n} largest of {@code values[0, length)}, best first, into {@code index} and {@code value}; equal
   * values keep their index order. Returns how many were taken ({@code min(n, length)}). O(length) when most
   * values lose at once, as they do for a peaked distribution.
   */
  static int topK(float[] values, int length, int n, int[] index, float[] value) {
    int count = 0;
    for (int i = 0; i < length; i++) {
      float x = values[i];
      if (count == n && !(x > value[n - 1])) {
        continue;
      }
      int pos = count < n ? count++ : n - 1;
      while (pos > 0 && x > value[pos - 1]) {
        value[pos] = value[pos - 1];
        index[pos] = index[pos - 1];
        pos--;
      }
      value[pos] = x;
      index[pos] = i;
    }
    return count;
  }
}
