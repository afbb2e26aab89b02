package dev.ponder.usercode;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;

/**
 * A process a user might write, outside the library's packages and through its public API only: a hypothesis is a
 * string of digits; each step appends one digit drawn from the search's random stream keyed by (lineage, step), so
 * a hypothesis's path depends only on the seed and its lineage; it ends after {@code length} digits. Counts the
 * handles it has out, its calls and the rows it advanced.
 */
class DigitWalk implements GenerativeProcess<DigitWalk.Walk> {

  /** One hypothesis. */
  static final class Walk {
    final long lineage;
    String digits;
    int forks;
    boolean released;

    Walk(long lineage, String digits) {
      this.lineage = lineage;
      this.digits = digits;
    }
  }

  private final int length;
  private long nextLineage;
  int out;
  int advanceCalls;
  int rowsAdvanced;
  boolean closed;

  DigitWalk(int length) {
    this.length = length;
  }

  /** The digit a walk of this lineage appends at this step under this seed. */
  static int digit(RandomStreams random, long lineage, int step) {
    return (int) (random.uniform(lineage, step, RandomStreams.Purpose.TOKEN, 0) * 10);
  }

  static int digitSum(String digits) {
    return digits.chars().map(c -> c - '0').sum();
  }

  @Override
  public List<Walk> start(int n, SearchContext ctx) {
    List<Walk> walks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      walks.add(new Walk(nextLineage++, "")); // fresh lineages on every start, as a language model's process gives
    }
    out += n;
    return walks;
  }

  @Override
  public List<Walk> advance(List<Walk> live, SearchContext ctx) {
    advanceCalls++;
    for (Walk w : live) {
      if (w.released || isTerminal(w)) {
        throw new IllegalArgumentException("walk " + w.lineage + " is " + (w.released ? "released" : "finished"));
      }
      w.digits += digit(ctx.random(), w.lineage, w.digits.length());
      rowsAdvanced++;
    }
    ctx.counters().addModelCalls(1);
    ctx.counters().addPolicyTokens(live.size());
    return live;
  }

  @Override
  public Walk fork(Walk parent, SearchContext ctx) {
    out++;
    return new Walk(RandomStreams.childLineage(parent.lineage, ++parent.forks), parent.digits);
  }

  @Override
  public boolean isTerminal(Walk w) {
    return w.digits.length() >= length;
  }

  @Override
  public long lineage(Walk w) {
    return w.lineage;
  }

  @Override
  public Candidate toCandidate(Walk w, double score) {
    return new Candidate(w.digits, score, Double.NaN, w.digits.length(), isTerminal(w));
  }

  @Override
  public void release(Walk w) {
    if (!w.released) {
      w.released = true;
      out--;
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
