package dev.ponder.samplers.mcts;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.samplers.core.RoundDriver;
import dev.ponder.samplers.core.Rounds;
import dev.ponder.samplers.core.ScoreCheck;
import dev.ponder.samplers.mcts.MctsSearch.MctsLeafValue;
import dev.ponder.samplers.mcts.MctsSearch.MctsRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Monte Carlo tree search over the steps of a generative process (reasoning steps of a language model), in
 * batched waves with virtual loss.
 *
 * <p>A wave selects up to {@code waveSize} leaves one after another, descending by {@link MctsRule} (PUCT or UCT)
 * and adding a virtual loss along each path so that the next selection looks elsewhere; a selection that lands
 * on a leaf already chosen in this wave ends the wave early. Every chosen leaf is forked k times and all forks of
 * the wave take their step in ONE {@link GenerativeProcess#advance} call. Each child is then evaluated once: by
 * the outcome scorer if it is terminal (else by the PRM), by the PRM or by a rollout if not (batched, one scorer
 * call per kind per wave). The k values are backed up along the path: N counts evaluations and Q is the mean
 * evaluation of the subtree (see {@link MctsTree}). A node that is terminal or at the maximum depth is exhausted:
 * its value is exact, it is never expanded or re-evaluated, and selection skips it; the search ends early when
 * nothing is left to search. The node's own hypothesis is kept (children are forked from it) and every
 * hypothesis is released at the end.
 *
 * <p>The PUCT prior of a child is the softmax over its siblings of the step's log-likelihood / temperature. With
 * {@code gumbelConsidered = m > 0} the root uses Gumbel-top-m and Sequential Halving ({@link MctsHalving})
 * instead; the deeper levels keep the configured rule.
 *
 * <p>Determinism: token draws are keyed by lineage, and a child's lineage is a function of its parent's and its
 * rank, so the children of a node (their tokens, priors, values) depend only on the seed and the node's path,
 * never on the wave size or on when the node is expanded. Selection itself uses no randomness (ties go to the
 * lower index; Gumbel noise is keyed by the root's lineage and the child's rank). With waveSize 1 selection sees
 * exact statistics; a larger wave may choose different leaves (virtual loss is a heuristic), but once the budget
 * covers the whole tree (every node exhausted) the tree and the result are the same for every wave size.
 *
 * <p>Budgets are checked before each wave (and by the process inside a step); a wave that has begun is scored
 * and backed up, then the search returns the best so far flagged {@code BUDGET_EXHAUSTED}.
 *
 * <p>Answer: the exhausted leaves (and finished rollouts) ranked by their exact value, ties by lineage; if there
 * are none (the budget ran out first), the end of the most-visited path; none at all when the search stopped
 * before its first wave (never the bare prompt with a NaN value).
 */
final class Mcts<S> implements Rounds {

  /** Configuration, validated by {@link MctsSearch}. */
  record Config(int simulations, int children, int waveSize, int maxDepth, MctsRule rule, double c,
      double virtualLossValue, double priorTemperature, MctsLeafValue leafValue, int gumbelConsidered) {}

  private final GenerativeProcess<S> process;
  private final ProcessScorer<S> prm;
  private final OutcomeScorer<S> outcome;
  private final ToDoubleFunction<S> stepLogLikelihood;
  private final Config cfg;
  private final SearchContext ctx;
  private final MctsTree tree;
  private final Object[] hypotheses;   // [capacity]
  private final boolean[] pending;     // [capacity], selected in the current wave
  private final List<Candidate> rollouts = new ArrayList<>();
  private final List<Long> rolloutLineages = new ArrayList<>();
  private final List<Integer> rolloutFrom = new ArrayList<>();
  private int steps;
  // Gumbel root: per root child
  private double[] gumbel;
  private boolean[] considered;
  private int[] rootVisits;
  private int[] schedule;
  private int simulationsDone;
  private boolean nothingToSelect;
  private SearchTrace.Tree trace;

  private Mcts(GenerativeProcess<S> process, ProcessScorer<S> prm, OutcomeScorer<S> outcome,
      ToDoubleFunction<S> stepLogLikelihood, Config cfg, SearchContext ctx) {
    this.process = process;
    this.prm = prm;
    this.outcome = outcome;
    this.stepLogLikelihood = stepLogLikelihood;
    this.cfg = cfg;
    this.ctx = ctx;
    int capacity = 1 + cfg.simulations() * cfg.children();
    this.tree = new MctsTree(capacity);
    this.hypotheses = new Object[capacity];
    this.pending = new boolean[capacity];
  }

  /**
   * A search not yet run: {@link #search} once, then {@link #tree} (tests read the tree).
   *
   * @param outcome           values terminal nodes; {@code null}: the PRM does
   * @param stepLogLikelihood the log-likelihood of a hypothesis's last step (for the prior); {@code null}: uniform
   */
  static <S> Mcts<S> create(GenerativeProcess<S> process, ProcessScorer<S> prm, OutcomeScorer<S> outcome,
      ToDoubleFunction<S> stepLogLikelihood, Config cfg, SearchContext ctx) {
    return new Mcts<>(process, prm, outcome, stepLogLikelihood, cfg, ctx);
  }

  /** The tree as built so far (for tests). */
  MctsTree tree() {
    return tree;
  }

  /** Runs the search through the round driver: one round is one wave. */
  SearchResult search() {
    S root = process.start(1, ctx).get(0);
    hypotheses[tree.addRoot(process.lineage(root))] = root;
    return RoundDriver.run(this, ctx);
  }

  @Override
  public int live() {
    return OWN_STEPS; // a wave emits one step event per batched advance (expansion, roll-out steps)
  }

  @Override
  public boolean done() {
    return simulationsDone >= cfg.simulations() || tree.exhausted[MctsTree.ROOT_INDEX] || nothingToSelect;
  }

  @Override
  public void round(int wave) {
    int[] leaves = selectWave(simulationsDone);
    if (leaves.length == 0) {
      nothingToSelect = true; // Gumbel root: every considered child is exhausted
      return;
    }
    expand(leaves);
    for (int leaf : leaves) {
      backup(leaf);
    }
    simulationsDone += leaves.length;
    if (simulationsDone == 1 && cfg.gumbelConsidered() > 0) {
      startGumbel();
    }
  }

  @Override
  public void release() {
    for (int i = 0; i < tree.size(); i++) {
      if (hypotheses[i] != null) {
        process.release(hyp(i));
        hypotheses[i] = null;
      }
    }
  }

  @Override
  public SearchTrace trace() {
    return trace;
  }

  /** Up to waveSize leaves, each with a virtual loss on its path; stops at the first repeated leaf. */
  private int[] selectWave(int done) {
    int want = Math.min(cfg.waveSize(), cfg.simulations() - done);
    int[] leaves = new int[want];
    int n = 0;
    for (int j = 0; j < want; j++) {
      int leaf = descend(done + j);
      if (leaf == MctsTree.UNVISITED || pending[leaf]) {
        break;
      }
      pending[leaf] = true;
      tree.addVirtualLoss(leaf, 1);
      if (gumbel != null) {
        rootVisits[rootChild(leaf) - tree.firstChild[MctsTree.ROOT_INDEX]]++;
      }
      leaves[n++] = leaf;
    }
    return Arrays.copyOf(leaves, n);
  }

  private int descend(int simulation) {
    int node = MctsTree.ROOT_INDEX;
    while (node != MctsTree.UNVISITED && tree.isExpanded(node)) {
      node = gumbel != null && node == MctsTree.ROOT_INDEX
          ? MctsHalving.selectRoot(tree, gumbel, considered, rootVisits, schedule[simulation - 1])
          : cfg.rule().selectChild(tree, node, cfg.c(), cfg.virtualLossValue());
    }
    return node;
  }

  private int rootChild(int node) {
    while (tree.parent[node] != MctsTree.ROOT_INDEX) {
      node = tree.parent[node];
    }
    return node;
  }

  /** Forks every leaf k times, steps all forks in one call, sets priors and evaluates the children. */
  private void expand(int[] leaves) {
    int k = cfg.children();
    List<S> forks = new ArrayList<>(leaves.length * k);
    for (int leaf : leaves) {
      int first = tree.addChildren(leaf, k);
      List<Long> ids = new ArrayList<>(k);
      for (int j = 0; j < k; j++) {
        S child = process.fork(hyp(leaf), ctx);
        hypotheses[first + j] = child;
        tree.lineage[first + j] = process.lineage(child);
        ids.add(tree.lineage[first + j]);
        forks.add(child);
      }
      ctx.emit(new SearchEvent.Expand(tree.lineage[leaf], ids));
    }
    advance(forks);
    for (int leaf : leaves) {
      setPriors(leaf);
    }
    evaluate(leaves);
  }

  private void advance(List<S> hs) {
    ctx.emit(new SearchEvent.Step(steps++, hs.size()));
    process.advance(hs, ctx);
  }

  private void setPriors(int leaf) {
    int first = tree.firstChild[leaf];
    int k = tree.childCount[leaf];
    for (int c = first; c < first + k; c++) {
      tree.terminal[c] = process.isTerminal(hyp(c));
    }
    if (stepLogLikelihood == null) {
      return; // uniform, set by addChildren
    }
    double[] logits = new double[k];
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      logits[j] = stepLogLikelihood.applyAsDouble(hyp(first + j)) / cfg.priorTemperature();
      max = Math.max(max, logits[j]);
    }
    double z = 0;
    for (int j = 0; j < k; j++) {
      z += Math.exp(logits[j] - max);
    }
    for (int j = 0; j < k; j++) {
      tree.prior[first + j] = Math.exp(logits[j] - max) / z;
    }
  }

  /** Values every new child: terminal ones exactly, the others by the PRM or a rollout; one call per kind. */
  private void evaluate(int[] leaves) {
    List<Integer> byPrm = new ArrayList<>();
    List<Integer> byOutcome = new ArrayList<>();
    List<Integer> byRollout = new ArrayList<>();
    for (int leaf : leaves) {
      for (int c = tree.firstChild[leaf]; c < tree.firstChild[leaf] + tree.childCount[leaf]; c++) {
        if (tree.terminal[c]) {
          (outcome != null ? byOutcome : byPrm).add(c);
        } else if (cfg.leafValue() == MctsLeafValue.ROLLOUT && tree.depth[c] < cfg.maxDepth()) {
          byRollout.add(c);
        } else {
          byPrm.add(c);
        }
      }
    }
    if (!byPrm.isEmpty()) {
      assign(byPrm, ScoreCheck.check("process", prm.score(hyps(byPrm), ctx), byPrm.size(), ctx), "process");
    }
    if (!byOutcome.isEmpty()) {
      assign(byOutcome, ScoreCheck.check("outcome", outcome.score(hyps(byOutcome), ctx), byOutcome.size(), ctx),
          "outcome");
    }
    if (!byRollout.isEmpty()) {
      assign(byRollout, rollout(byRollout), "rollout");
    }
    for (int leaf : leaves) {
      for (int c = tree.firstChild[leaf]; c < tree.firstChild[leaf] + tree.childCount[leaf]; c++) {
        if (tree.terminal[c] || tree.depth[c] >= cfg.maxDepth()) {
          tree.markExhausted(c);
        }
      }
    }
  }

  private void assign(List<Integer> nodes, double[] values, String scorer) {
    if (values.length != nodes.size()) {
      throw new IllegalStateException("the " + scorer + " scorer returned " + values.length + " scores for "
          + nodes.size() + " hypotheses; it must return one per hypothesis");
    }
    for (int i = 0; i < values.length; i++) {
      int c = nodes.get(i);
      tree.leafValue[c] = values[i];
      tree.visits[c] = 1;
      tree.valueSum[c] = values[i];
      ctx.emit(new SearchEvent.Score(tree.lineage[c], scorer, values[i]));
    }
  }

  /** One rollout per node, all stepped together until they end, reach the maximum depth or the budget runs out. */
  private double[] rollout(List<Integer> nodes) {
    List<S> rs = new ArrayList<>(nodes.size());
    for (int c : nodes) {
      rs.add(process.fork(hyp(c), ctx));
    }
    int[] taken = new int[rs.size()];
    try {
      while (ctx.stopReason() == null) {
        List<S> live = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
          if (!process.isTerminal(rs.get(i)) && tree.depth[nodes.get(i)] + taken[i] < cfg.maxDepth()) {
            live.add(rs.get(i));
            taken[i]++;
          }
        }
        if (live.isEmpty()) {
          break;
        }
        advance(live);
      }
      List<S> ended = new ArrayList<>();
      List<S> open = new ArrayList<>();
      for (S r : rs) {
        (process.isTerminal(r) && outcome != null ? ended : open).add(r);
      }
      double[] endedValues = ended.isEmpty() ? new double[0]
          : ScoreCheck.check("outcome", outcome.score(ended, ctx), ended.size(), ctx);
      double[] openValues = open.isEmpty() ? new double[0]
          : ScoreCheck.check("process", prm.score(open, ctx), open.size(), ctx);
      double[] values = new double[rs.size()];
      int e = 0;
      int o = 0;
      for (int i = 0; i < rs.size(); i++) {
        S r = rs.get(i);
        boolean byOutcome = process.isTerminal(r) && outcome != null;
        values[i] = byOutcome ? endedValues[e++] : openValues[o++];
        if (process.isTerminal(r)) {
          rollouts.add(process.toCandidate(r, values[i]));
          rolloutLineages.add(process.lineage(r));
          rolloutFrom.add(nodes.get(i));
        }
      }
      return values;
    } finally {
      rs.forEach(process::release);
    }
  }

  /** Removes the leaf's virtual loss and backs its k children's values up to the root. */
  private void backup(int leaf) {
    pending[leaf] = false;
    tree.addVirtualLoss(leaf, -1);
    double sum = 0;
    int first = tree.firstChild[leaf];
    for (int c = first; c < first + tree.childCount[leaf]; c++) {
      sum += tree.leafValue[c];
    }
    tree.backup(leaf, tree.childCount[leaf], sum);
  }

  /** Gumbel-top-m at the root, once it is expanded; the others are pruned. */
  private void startGumbel() {
    int first = tree.firstChild[MctsTree.ROOT_INDEX];
    int k = tree.childCount[MctsTree.ROOT_INDEX];
    int m = Math.min(cfg.gumbelConsidered(), k);
    gumbel = new double[k];
    considered = new boolean[k];
    rootVisits = new int[k];
    schedule = MctsHalving.consideredVisits(m, Math.max(1, cfg.simulations() - 1));
    Integer[] order = new Integer[k];
    for (int a = 0; a < k; a++) {
      gumbel[a] = MctsHalving.gumbel(ctx.random().uniform(tree.lineage[MctsTree.ROOT_INDEX], 0,
          RandomStreams.Purpose.SELECT, a));
      order[a] = a;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer a) -> -(gumbel[a] + Math.log(tree.prior[first + a]))));
    for (int i = 0; i < k; i++) {
      considered[order[i]] = i < m;
      if (i >= m) {
        ctx.emit(new SearchEvent.Prune(tree.lineage[first + order[i]], "not among the Gumbel top " + m));
      }
    }
  }

  @Override
  public List<Candidate> finish(StopReason why) {
    record Ranked(Candidate candidate, long lineage, int node) {}
    List<Ranked> ranked = new ArrayList<>();
    for (int i = 1; i < tree.size(); i++) {
      if (tree.exhausted[i] && !tree.isExpanded(i)) {
        ranked.add(new Ranked(process.toCandidate(hyp(i), tree.leafValue[i]), tree.lineage[i], i));
      }
    }
    for (int i = 0; i < rollouts.size(); i++) {
      ranked.add(new Ranked(rollouts.get(i), rolloutLineages.get(i), rolloutFrom.get(i)));
    }
    ranked.sort(Comparator.comparingDouble((Ranked r) -> -ScoreCheck.rankable(r.candidate().score()))
        .thenComparingLong(Ranked::lineage));
    List<Candidate> candidates = new ArrayList<>(ranked.stream().map(Ranked::candidate).toList());
    int chosen = ranked.isEmpty() ? -1 : ranked.get(0).node();
    if (candidates.isEmpty()) {
      // Nothing reached an end: the deepest most-visited node, unless the search stopped before its first wave
      // (then there is nothing to return; the root is the prompt itself, with no step and no value).
      int leaf = tree.principalLeaf();
      if (leaf != MctsTree.ROOT_INDEX) {
        candidates.add(process.toCandidate(hyp(leaf), tree.leafValue[leaf]));
        chosen = leaf;
      }
    }
    trace = treeTrace(chosen);
    release();
    return candidates;
  }

  /** The tree as a trace, the path to {@code chosen} marked; node text from the live hypotheses. */
  private SearchTrace.Tree treeTrace(int chosen) {
    String[] text = new String[tree.size()];
    boolean[] onPath = new boolean[tree.size()];
    for (int i = chosen; i >= 0; i = tree.parent[i]) {
      onPath[i] = true;
    }
    List<SearchTrace.Tree.Node> nodes = new ArrayList<>(tree.size());
    for (int i = 0; i < tree.size(); i++) {
      text[i] = process.toCandidate(hyp(i), Double.NaN).text();
      String before = i == MctsTree.ROOT_INDEX ? "" : text[tree.parent[i]];
      String step = text[i].startsWith(before) ? text[i].substring(before.length()) : text[i];
      nodes.add(new SearchTrace.Tree.Node(i, tree.parent[i], tree.lineage[i], tree.depth[i], step, tree.leafValue[i],
          tree.visits[i], tree.visits[i] == 0 ? Double.NaN : tree.valueSum[i] / tree.visits[i], tree.terminal[i],
          gumbelPruned(i), onPath[i]));
    }
    return new SearchTrace.Tree(nodes);
  }

  /** A root child that Gumbel-top-m left out. */
  private boolean gumbelPruned(int node) {
    return considered != null && node != MctsTree.ROOT_INDEX && tree.parent[node] == MctsTree.ROOT_INDEX
        && !considered[node - tree.firstChild[MctsTree.ROOT_INDEX]];
  }

  @SuppressWarnings("unchecked")
  private S hyp(int node) {
    return (S) hypotheses[node];
  }

  private List<S> hyps(List<Integer> nodes) {
    List<S> out = new ArrayList<>(nodes.size());
    nodes.forEach(i -> out.add(hyp(i)));
    return out;
  }
}
