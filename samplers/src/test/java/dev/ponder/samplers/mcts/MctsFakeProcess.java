package dev.ponder.samplers.mcts;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * An exact stand-in process for MCTS tests: a hypothesis is a string; the j-th fork of a hypothesis appends the
 * letter {@code 'a' + j} when it steps. Terminal when the predicate says so. Counts calls and live handles.
 */
final class MctsFakeProcess implements GenerativeProcess<MctsFakeProcess.H> {
  static final class H {
    final long lineage;
    final int rank;
    String path;
    int forks;
    boolean released;

    H(long lineage, int rank, String path) {
      this.lineage = lineage;
      this.rank = rank;
      this.path = path;
    }
  }

  private final Predicate<String> terminal;
  final List<Integer> advanceSizes = new ArrayList<>();
  int live;

  MctsFakeProcess(Predicate<String> terminal) {
    this.terminal = terminal;
  }

  @Override
  public List<H> start(int n, SearchContext ctx) {
    List<H> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new H(i, 0, ""));
      live++;
    }
    return out;
  }

  @Override
  public List<H> advance(List<H> hs, SearchContext ctx) {
    advanceSizes.add(hs.size());
    ctx.counters().addModelCalls(1);
    for (H h : hs) {
      if (!isTerminal(h)) {
        h.path += (char) ('a' + h.rank);
        ctx.counters().addPolicyTokens(1);
        ctx.counters().addGeneratedTokens(1);
      }
    }
    return hs;
  }

  @Override
  public H fork(H parent, SearchContext ctx) {
    int rank = parent.forks++;
    live++;
    return new H(RandomStreams.childLineage(parent.lineage, rank), rank, parent.path);
  }

  @Override
  public boolean isTerminal(H h) {
    return !h.path.isEmpty() && terminal.test(h.path);
  }

  @Override
  public long lineage(H h) {
    return h.lineage;
  }

  @Override
  public Candidate toCandidate(H h, double score) {
    return new Candidate(h.path, score, 0, h.path.length(), isTerminal(h));
  }

  @Override
  public void release(H h) {
    if (!h.released) {
      h.released = true;
      live--;
    }
  }

  @Override
  public void close() {
  }
}
