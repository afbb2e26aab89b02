package dev.ponder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns the JSON of a {@link DecodeStepBenchmark} run ({@code -rf json -rff FILE}) into the Markdown table of
 * bench/README.md: per batch size and side, the mean with JMH's 99.9% error, the median, the allocation per step
 * when the run had {@code -prof gc}, and the engine/raw ratios against the {@code raw} side of the same batch.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.ponder.bench.StepReport decode-step.json</pre>
 *
 * <p>The ratio of means carries the propagated error {@code r * sqrt((ea/a)^2 + (eb/b)^2)} of the two 99.9%
 * half-widths (a conservative bound, the sides being independent runs).
 */
public final class StepReport {
  private StepReport() {
  }

  record Row(int batch, String side, long samples, double mean, double error, double median, double alloc) {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: StepReport <jmh-result.json>");
      System.exit(2);
    }
    System.out.print(table(read(Path.of(args[0]))));
  }

  static List<Row> read(Path json) throws IOException {
    List<Row> rows = new ArrayList<>();
    for (JsonNode run : new ObjectMapper().readTree(json.toFile())) {
      if (!run.get("benchmark").asText().endsWith(".DecodeStepBenchmark.step")) {
        continue;
      }
      JsonNode params = run.get("params");
      JsonNode primary = run.get("primaryMetric");
      JsonNode gc = run.path("secondaryMetrics").path("gc.alloc.rate.norm");
      rows.add(new Row(params.get("batch").asInt(), params.get("side").asText(),
          sampleCount(primary), primary.get("score").asDouble(), primary.get("scoreError").asDouble(),
          primary.path("scorePercentiles").path("50.0").asDouble(Double.NaN),
          gc.isMissingNode() ? Double.NaN : gc.get("score").asDouble()));
    }
    rows.sort(Comparator.comparingInt(Row::batch).thenComparing(Row::side));
    return rows;
  }

  private static long sampleCount(JsonNode primary) {
    long n = 0;
    for (JsonNode fork : primary.path("rawDataHistogram")) {
      for (JsonNode iteration : fork) {
        for (JsonNode bucket : iteration) {
          n += bucket.get(1).asLong();
        }
      }
    }
    return n;
  }

  static String table(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    boolean withAlloc = rows.stream().anyMatch(r -> !Double.isNaN(r.alloc()));
    out.append("| batch | side | samples | mean ± error (µs) | median (µs) |")
        .append(withAlloc ? " gc.alloc.rate.norm (B/op) |" : "").append(" ratio of means | ratio of medians |\n");
    out.append("|---:|---|---:|---:|---:|").append(withAlloc ? "---:|" : "").append("---:|---:|\n");
    for (Row r : rows) {
      Row raw = rows.stream().filter(x -> x.batch() == r.batch() && x.side().equals("raw")).findFirst().orElse(null);
      out.append(String.format("| %d | %s | %d | %.1f ± %.1f | %.1f |", r.batch(), r.side(), r.samples(), r.mean(),
          r.error(), r.median()));
      if (withAlloc) {
        out.append(Double.isNaN(r.alloc()) ? " |" : String.format(" %.0f |", r.alloc()));
      }
      if (raw == null || raw == r) {
        out.append(" | |\n");
        continue;
      }
      double ratio = r.mean() / raw.mean();
      double err = ratio * Math.hypot(r.error() / r.mean(), raw.error() / raw.mean());
      out.append(String.format(" %.3f ± %.3f | %.3f |%n", ratio, err, r.median() / raw.median()));
    }
    return out.toString();
  }
}
