package dev.ponder.samplers.mcts;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.core.ProcessSource;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Monte Carlo tree search over the steps of any process (see {@link Mcts} for the algorithm). On a language model
 * a step is one line by default (stop at a newline, at most 32 tokens; set another with {@link #decoding}) and the
 * priors come from the steps' log-likelihoods; other processes get uniform priors. The result's trace is the
 * search tree (visits, mean values, priors' effect, the chosen path). Defaults: 32 simulations,
 * 4 children per expansion, waves of 1, depth 16, PUCT with c = 1.25 and priors from the steps' log-likelihoods,
 * virtual loss value 0, leaf values from the PRM, terminal nodes valued by the PRM unless an outcome scorer is
 * set.
 *
 * <pre>{@code
 * SearchResult r = Search.mcts(policy, prm).children(4).simulations(64).waveSize(8).outcomeScorer(checker)
 *     .seed(7).run("numbers: 3 7 25 50 target: 85\n");
 * r.best().text(); ((SearchTrace.Tree) r.trace()).nodes();
 * }</pre>
 */
public final class MctsSearch<S> extends ProcessSearch<S, MctsSearch<S>> {
  private final ProcessScorer<S> prm;
  private OutcomeScorer<S> outcome;
  private int simulations = 32;
  private int children = 4;
  private int waveSize = 1;
  private int maxDepth = 16;
  private MctsRule rule = MctsRule.PUCT;
  private double c = 1.25;
  private double virtualLossValue;
  private double priorTemperature = 1;
  private boolean uniformPrior;
  private MctsLeafValue leafValue = MctsLeafValue.PROCESS;
  private int gumbelConsidered;

  public MctsSearch(ProcessSource<S> source, ProcessScorer<S> prm) {
    super(source);
    this.prm = Objects.requireNonNull(prm, "prm");
  }

  /** Simulations (expansions), the main budget knob; each costs one node's k children. */
  public MctsSearch<S> simulations(int value) {
    this.simulations = requireAtLeast("simulations", value, 1);
    return this;
  }

  /** k: the child steps sampled when a node is expanded. */
  public MctsSearch<S> children(int value) {
    this.children = requireAtLeast("children", value, 1);
    return this;
  }

  /** Leaves selected (with virtual loss) and expanded together in one batched policy step. */
  public MctsSearch<S> waveSize(int value) {
    this.waveSize = requireAtLeast("waveSize", value, 1);
    return this;
  }

  /** The deepest a node may be (in steps from the prompt); nodes there are valued and not expanded. */
  public MctsSearch<S> maxDepth(int value) {
    this.maxDepth = requireAtLeast("maxDepth", value, 1);
    return this;
  }

  /** PUCT with exploration constant c (AlphaZero's c_puct). */
  public MctsSearch<S> puct(double value) {
    return rule(MctsRule.PUCT, value);
  }

  /** UCT (UCB1 on trees) with exploration constant c. */
  public MctsSearch<S> uct(double value) {
    return rule(MctsRule.UCT, value);
  }

  private MctsSearch<S> rule(MctsRule value, double exploration) {
    if (!(exploration >= 0) || Double.isInfinite(exploration)) {
      throw new IllegalArgumentException("the exploration constant c must be finite and >= 0, was " + exploration);
    }
    this.rule = value;
    this.c = exploration;
    return this;
  }

  /** The value a pending (virtual) visit counts as while its wave runs: 0 is a loss for rewards in [0, 1]. */
  public MctsSearch<S> virtualLoss(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("the virtual loss value must be finite, was " + value);
    }
    this.virtualLossValue = value;
    return this;
  }

  /** Priors = softmax(step log-likelihood / temperature) over siblings; {@code Double.POSITIVE_INFINITY}: uniform. */
  public MctsSearch<S> priorTemperature(double value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException("priorTemperature must be > 0 (infinity: uniform priors), was " + value);
    }
    this.priorTemperature = value;
    this.uniformPrior = Double.isInfinite(value);
    return this;
  }

  /** Values terminal (finished or cut) nodes and finished rollouts: a terminal checker or an ORM. */
  public MctsSearch<S> outcomeScorer(OutcomeScorer<S> value) {
    this.outcome = Objects.requireNonNull(value, "outcomeScorer");
    return this;
  }

  public MctsSearch<S> leafValue(MctsLeafValue value) {
    this.leafValue = Objects.requireNonNull(value, "leafValue");
    return this;
  }

  /**
   * A Gumbel root with Sequential Halving over the {@code m} root children Gumbel-top-m picks (Danihelka et al.,
   * 2022), for small simulation budgets; needs {@code children >= m}. 0 turns it off.
   */
  public MctsSearch<S> gumbel(int m) {
    if (m != 0 && m < 2) {
      throw new IllegalArgumentException("gumbel needs m >= 2 considered root children (0 = off), was " + m);
    }
    this.gumbelConsidered = m;
    return this;
  }

  @Override
  protected SearchResult search(GenerativeProcess<S> process, SearchContext ctx) {
    if (gumbelConsidered > children) {
      throw new IllegalArgumentException("gumbel considers m=" + gumbelConsidered + " root children but only children="
          + children + " are sampled; set children >= " + gumbelConsidered + " or lower m");
    }
    Mcts.Config cfg = new Mcts.Config(simulations, children, waveSize, maxDepth, rule, c, virtualLossValue,
        uniformPrior ? 1 : priorTemperature, leafValue, gumbelConsidered);
    ToDoubleFunction<S> prior = uniformPrior || !(process instanceof LmProcess) ? null : lastStepLogProb();
    return Mcts.create(process, prm, outcome, prior, cfg, ctx).search();
  }

  /** A language-model hypothesis's last step log-likelihood, for the priors. */
  @SuppressWarnings("unchecked")
  private static <S> ToDoubleFunction<S> lastStepLogProb() {
    return h -> ((LmHypothesis) h).lastStepLogProb();
  }

  /**
   * How MCTS picks the child to descend into. With N counting evaluations (see {@link MctsTree}), pending
   * selections counted as virtual visits, and c the exploration constant:
   *
   * <ul>
   *   <li>{@link #PUCT}: {@code Q(a) + c · P(a) · sqrt(N(s)) / (1 + N(a))} (Silver et al., AlphaZero, 2018; the
   *       prior P is the softmax of the sibling steps' log-likelihoods under the policy);</li>
   *   <li>{@link #UCT}: {@code Q(a) + c · sqrt(ln N(s) / N(a))}, an unvisited child first (Kocsis and Szepesvári,
   *       "Bandit based Monte-Carlo planning", 2006).</li>
   * </ul>
   *
   * Ties go to the lower child index, so selection needs no randomness.
   */
  public enum MctsRule {
    PUCT {
      @Override
      double score(double q, double prior, int parentVisits, int childVisits, double c) {
        return q + c * prior * Math.sqrt(parentVisits) / (1 + childVisits);
      }
    },
    UCT {
      @Override
      double score(double q, double prior, int parentVisits, int childVisits, double c) {
        if (childVisits == 0) {
          return Double.POSITIVE_INFINITY;
        }
        return q + c * Math.sqrt(Math.log(Math.max(1, parentVisits)) / childVisits);
      }
    };

    /** The selection score of a child; visits include virtual ones. */
    abstract double score(double q, double prior, int parentVisits, int childVisits, double c);

    /**
     * The child of {@code node} with the highest score among those not exhausted, or {@link MctsTree#UNVISITED}
     * when none is left. A virtual visit counts as value {@code virtualLossValue}; an unvisited child's Q is 0.
     */
    int selectChild(MctsTree t, int node, double c, double virtualLossValue) {
      int best = MctsTree.UNVISITED;
      double bestScore = Double.NEGATIVE_INFINITY;
      int parentVisits = t.effectiveVisits(node);
      for (int a = t.firstChild[node]; a < t.firstChild[node] + t.childCount[node]; a++) {
        if (t.exhausted[a]) {
          continue;
        }
        double s = score(t.effectiveQ(a, virtualLossValue, 0), t.prior[a], parentVisits, t.effectiveVisits(a), c);
        if (best == MctsTree.UNVISITED || s > bestScore) {
          best = a;
          bestScore = s;
        }
      }
      return best;
    }
  }

  /**
   * Where MCTS gets the value of a new, unfinished node. A finished node is always valued exactly: by the
   * outcome scorer (terminal checker, ORM) when one is set, otherwise by the process reward model.
   */
  public enum MctsLeafValue {
    /** The process reward model's score of the partial solution. */
    PROCESS,
    /**
     * The value of one rollout: a fork of the node decoded to the end (at most to the maximum depth), scored by
     * the outcome scorer when it finished (by the PRM otherwise). Finished rollouts are kept as candidates.
     */
    ROLLOUT
  }
}
