package dev.ponder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Checks the allocation per decode step of a {@link DecodeStepBenchmark} run with {@code -prof gc} against the
 * budget, and prints one PASS/FAIL line per batch for the engine's sides (INFO for the raw ones, which are the
 * reference, not under test) and a verdict; exits 1 when an engine side is over budget or the file has no engine
 * result with {@code gc.alloc.rate.norm}.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.ponder.bench.AllocBudget bench/target/decode-step-gc.json</pre>
 *
 * <p><b>The budget</b> is bytes per step = {@link #ENGINE_FIXED} + {@link #ENGINE_PER_ROW} x batch for the
 * engine's sides, {@link #RAW_FIXED} for the raw ones, on {@code gc.alloc.rate.norm}, which counts the per-step
 * reset done at {@code Level.Invocation} (forking the B hypotheses) as well as the step. It was set from the
 * measured allocation (bench/README.md, "Allocation budget": on 2026-12-01, 12.0 KB at batch 1, 25.7 KB at 16 and
 * 70.4 KB at 64, that is about 11 KB + 0.93 KB per row, the fork of each row included) with about 25% headroom
 * on the fixed part and 20% on the per-row part, so that a change that adds an allocation per token or per row (a
 * boxed value per row costs 16 B, a copied mask 8 B per position) shows up as a growing share of the budget and one
 * that doubles a per-row cost fails it, while run-to-run noise does not. {@code --fixed B --per-row B} override the engine's budget.
 */
public final class AllocBudget {
  static final double ENGINE_FIXED = 14_000;
  static final double ENGINE_PER_ROW = 1_100;
  static final double RAW_FIXED = 2_048;

  private AllocBudget() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1 && args.length != 5) {
      System.err.println("usage: AllocBudget <jmh-result.json> [--fixed BYTES --per-row BYTES]");
      System.exit(2);
    }
    double fixed = ENGINE_FIXED;
    double perRow = ENGINE_PER_ROW;
    if (args.length == 5) {
      fixed = Double.parseDouble(args[2]);
      perRow = Double.parseDouble(args[4]);
    }
    int checked = 0;
    int failed = 0;
    for (JsonNode run : new ObjectMapper().readTree(Path.of(args[0]).toFile())) {
      if (!run.get("benchmark").asText().endsWith(".DecodeStepBenchmark.step")) {
        continue;
      }
      JsonNode gc = run.path("secondaryMetrics").path("gc.alloc.rate.norm");
      if (gc.isMissingNode()) {
        continue;
      }
      int batch = run.get("params").get("batch").asInt();
      String side = run.get("params").get("side").asText();
      double bytes = gc.get("score").asDouble();
      double error = gc.get("scoreError").asDouble();
      boolean engine = side.startsWith("engine");
      double budget = engine ? fixed + perRow * batch : RAW_FIXED;
      boolean ok = bytes <= budget;
      if (engine) {
        checked++;
        failed += ok ? 0 : 1;
      }
      System.out.printf(Locale.ROOT, "%s batch=%d side=%s: %.0f ± %.0f B/step, budget %.0f B/step (%.0f%%)%s%n",
          engine ? (ok ? "PASS" : "FAIL") : "INFO", batch, side, bytes, Double.isNaN(error) ? 0 : error, budget,
          100 * bytes / budget, error > 0.2 * bytes ? " [wide interval: few iterations, or JMH's per-iteration allocations spread over few"
              + " steps; measure longer, e.g. -i 5 -r 4s]" : "");
    }
    if (checked == 0) {
      System.out.println("FAIL: no engine DecodeStepBenchmark result with gc.alloc.rate.norm in " + args[0]
          + " (run it with -prof gc -rf json -rff FILE)");
      System.exit(1);
    }
    System.out.printf(Locale.ROOT, "%s: %d of %d engine results within the allocation budget (%.0f B + %.0f B per"
        + " row; raw sides for reference against %.0f B)%n", failed == 0 ? "PASS" : "FAIL", checked - failed, checked,
        fixed, perRow, RAW_FIXED);
    System.exit(failed == 0 ? 0 : 1);
  }
}
