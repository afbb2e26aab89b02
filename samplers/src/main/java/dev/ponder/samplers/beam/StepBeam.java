package dev.ponder.samplers.beam;

import dev.ponder.engine.ProcessScorer.Aggregation;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.core.Rounds;
import dev.ponder.samplers.core.ScoreCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Step-level beam search guided by a process reward model, and its diverse variant DVTS (Snell et al., "Scaling
 * LLM test-time compute optimally...", 2024; Beeching et al., search-and-learn, 2024).
 *
 * <p>Beam: N live hypotheses take one step together (one batched call per token position), the PRM scores each
 * partial solution, the best N/M survive and each is forked M times, so N stay live. DVTS: the N hypotheses form
 * N/M independent subtrees of width M; each subtree keeps only its best child and expands it M times, which keeps
 * the subtrees apart and the answers diverse.
 *
 * <p>Lookahead k (search-and-learn's {@code lookahead}; Snell et al. 2024, section 5): a candidate step is
 * scored not on itself but on where it leads. Each open candidate is forked, the forks are rolled out k more
 * steps greedily (temperature 0: the same state always rolls out the same way) together, one batched call per
 * token position, and the PRM scores the rolled-out prefixes; the candidate keeps its own un-rolled state and
 * step score, and the forks are released. Roll-out tokens are real compute and are counted as policy and
 * generated tokens; a budget that runs out mid roll-out stops it, the round is scored on what was rolled, and the
 * search returns. With k = 0 the search is the plain one.
 *
 * <p>Invariants: at most N hypotheses are live (plus, during a lookahead, one roll-out fork per open candidate);
 * a finished hypothesis leaves the beam with its aggregated score; the search ends when N have finished, nothing
 * is live, maxSteps is reached or the budget runs out (then the live ones are returned too, ranked after the
 * finished; a fork made for the next round carries its parent's score).
 */
final class StepBeam<S> implements Rounds {

  /**
   * Configuration, validated by {@link StepBeamSearch}.
   *
   * @param n           live hypotheses N, a multiple of m
   * @param m           expansions per kept hypothesis
   * @param diverse     DVTS (N/M independent subtrees) instead of one beam
   * @param aggregation how a hypothesis's step scores combine
   * @param maxSteps    the most rounds
   * @param lookahead   greedy roll-out steps before scoring, >= 0 (0 = score the step itself)
   */
  record Config(int n, int m, boolean diverse, Aggregation aggregation, int maxSteps, int lookahead) {}

  /** One greedy (temperature 0) step for all roll-outs together; returns them in the same order. */
  @FunctionalInterface
  interface GreedyStep<S> {
    List<S> advance(List<S> rollouts, SearchContext ctx);
  }

  /** One hypothesis with the PRM scores of its steps so far, and the tree node it stands on. */
  private static final class Node<S> {
    final S h;
    final int tree;
    double[] stepScores;
    int steps;
    double score = Double.NaN;
    int treeId = TreeRecorder.ROOT;

    Node(S h, int tree, double[] stepScores, int steps) {
      this.h = h;
      this.tree = tree;
      this.stepScores = stepScores;
      this.steps = steps;
    }
  }

  private final GenerativeProcess<S> process;
  private final ProcessScorer<S> prm;
  private final Config c;
  private final GreedyStep<S> greedy;
  private final SearchContext ctx;
  private final TreeRecorder recorder;
  private List<Node<S>> live = new ArrayList<>();
  private final List<Node<S>> finished = new ArrayList<>();
  private int chosen = -1;

  StepBeam(GenerativeProcess<S> process, ProcessScorer<S> prm, Config c, GreedyStep<S> greedy, SearchContext ctx) {
    this.process = process;
    this.prm = prm;
    this.c = c;
    this.greedy = greedy;
    this.ctx = ctx;
    List<S> started = process.start(c.n(), ctx);
    this.recorder = new TreeRecorder(-1);
    for (int i = 0; i < started.size(); i++) {
      live.add(new Node<>(started.get(i), c.diverse() ? i / c.m() : 0, new double[8], 0));
    }
  }

  @Override
  public int live() {
    return live.size();
  }

  @Override
  public boolean done() {
    return ended(rounds);
  }

  /** The search's own end: maxSteps rounds, nothing live, or N finished. */
  private boolean ended(int rounds) {
    return rounds >= c.maxSteps() || live.isEmpty() || finished.size() >= c.n();
  }

  private int rounds;

  @Override
  public void round(int round) {
    List<S> hs = new ArrayList<>();
    live.forEach(node -> hs.add(node.h));
    process.advance(hs, ctx);
    if (ctx.stopNow() != null) {
      return; // cancelled or past the deadline mid-step: no scorer call for a round that will not be used
    }
    double[] scores = ScoreCheck.check("process", c.lookahead() == 0 ? prm.score(hs, ctx)
        : scoreAhead(hs), hs.size(), ctx);
    List<Node<S>> open = new ArrayList<>();
    for (int i = 0; i < live.size(); i++) {
      Node<S> node = live.get(i);
      if (node.steps == node.stepScores.length) {
        node.stepScores = Arrays.copyOf(node.stepScores, node.steps * 2);
      }
      node.stepScores[node.steps++] = scores[i];
      node.score = c.aggregation().combine(node.stepScores, node.steps);
      boolean terminal = process.isTerminal(node.h);
      node.treeId = recorder.add(node.treeId, process.lineage(node.h),
          process.toCandidate(node.h, node.score).text(), node.score, terminal);
      ctx.emit(new SearchEvent.Score(process.lineage(node.h), "process", node.score));
      (terminal ? finished : open).add(node);
    }
    live = c.diverse() ? keepBestPerTree(open) : keepBest(open, Math.max(1, c.n() / c.m()));
    rounds = round + 1;
  }

  @Override
  public List<Candidate> finish(StopReason why) {
    List<Candidate> ranked = new ArrayList<>();
    Comparator<Node<S>> byScore = Comparator.comparingDouble((Node<S> x) -> ScoreCheck.rankable(x.score)).reversed();
    finished.sort(byScore);
    live.sort(byScore);
    List<Node<S>> all = new ArrayList<>(finished);
    all.addAll(live);
    if (!all.isEmpty()) {
      chosen = all.get(0).treeId;
    }
    for (Node<S> node : all) {
      ranked.add(process.toCandidate(node.h, node.score));
      process.release(node.h);
    }
    finished.clear();
    live.clear();
    return ranked;
  }

  @Override
  public void release() {
    finished.forEach(node -> process.release(node.h));
    live.forEach(node -> process.release(node.h));
  }

  @Override
  public SearchTrace trace() {
    return recorder.build(chosen);
  }

  /**
   * The PRM's scores of the hypotheses after each open one is rolled out {@code k} more greedy steps on a fork
   * (terminal ones are scored as they are); the forks are released, the hypotheses are untouched.
   */
  private double[] scoreAhead(List<S> hs) {
    int k = c.lookahead();
    List<S> scored = new ArrayList<>(hs.size());
    List<S> rollouts = new ArrayList<>();
    for (S h : hs) {
      S r = process.isTerminal(h) ? h : process.fork(h, ctx);
      scored.add(r);
      if (r != h) {
        rollouts.add(r);
      }
    }
    try {
      List<S> open = new ArrayList<>(rollouts);
      for (int j = 0; j < k && !open.isEmpty() && ctx.stopReason() == null; j++) {
        greedy.advance(open, ctx);
        open.removeIf(process::isTerminal);
      }
      return prm.score(scored, ctx);
    } finally {
      rollouts.forEach(process::release);
    }
  }

  /** Beam: keep the best {@code keep} open hypotheses, then fork each to {@code m} copies. */
  private List<Node<S>> keepBest(List<Node<S>> open, int keep) {
    open.sort(Comparator.comparingDouble((Node<S> x) -> ScoreCheck.rankable(x.score)).reversed());
    List<Node<S>> next = new ArrayList<>();
    for (int i = 0; i < open.size(); i++) {
      Node<S> node = open.get(i);
      if (i < keep) {
        next.addAll(expand(node));
      } else {
        ctx.emit(new SearchEvent.Prune(process.lineage(node.h), "below the top " + keep));
        recorder.prune(node.treeId);
        process.release(node.h);
      }
    }
    return next;
  }

  /** DVTS: in each subtree keep only the best open hypothesis and fork it to {@code m} copies. */
  private List<Node<S>> keepBestPerTree(List<Node<S>> open) {
    open.sort(Comparator.comparingInt((Node<S> x) -> x.tree)
        .thenComparing(Comparator.comparingDouble((Node<S> x) -> ScoreCheck.rankable(x.score)).reversed()));
    List<Node<S>> next = new ArrayList<>();
    int lastTree = -1;
    for (Node<S> node : open) {
      if (node.tree != lastTree) {
        lastTree = node.tree;
        next.addAll(expand(node));
      } else {
        ctx.emit(new SearchEvent.Prune(process.lineage(node.h), "not the best of subtree " + node.tree));
        recorder.prune(node.treeId);
        process.release(node.h);
      }
    }
    return next;
  }

  private List<Node<S>> expand(Node<S> node) {
    int m = c.m();
    List<Node<S>> children = new ArrayList<>(m);
    children.add(node);
    List<Long> ids = new ArrayList<>();
    for (int k = 1; k < m; k++) {
      S child = process.fork(node.h, ctx);
      ids.add(process.lineage(child));
      Node<S> copy = new Node<>(child, node.tree, node.stepScores.clone(), node.steps);
      copy.score = node.score;
      copy.treeId = node.treeId;
      children.add(copy);
    }
    if (!ids.isEmpty()) {
      ctx.emit(new SearchEvent.Expand(process.lineage(node.h), ids));
    }
    return children;
  }
}
