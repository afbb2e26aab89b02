package dev.ponder.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The plots (PNG, log x axis, one series per algorithm with its budgets in order) and the Markdown table of a
 * {@link ScalingCurves} CSV. Reads only the CSV, so the figures can be remade without running anything.
 */
final class CurvePlots {
  private CurvePlots() {
  }

  static void write(String task, Path csv, Path dir) throws IOException {
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    String[] header = lines.get(0).split(",");
    List<String[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (!line.isBlank()) {
        rows.add(line.split(","));
      }
    }
    if (task.equals("countdown")) {
      plot(rows, header, "mean_policy_tokens", "accuracy", "policy tokens per problem",
          "Countdown: accuracy vs policy tokens", dir.resolve("countdown-accuracy-vs-policy-tokens"));
      plot(rows, header, "mean_model_calls", "accuracy", "policy model calls per problem",
          "Countdown: accuracy vs model calls", dir.resolve("countdown-accuracy-vs-model-calls"));
      plot(rows, header, "mean_wall_ms", "accuracy", "wall ms per problem (1 thread)",
          "Countdown: accuracy vs wall time", dir.resolve("countdown-accuracy-vs-wall-ms"));
    } else {
      plot(rows, header, "mean_model_calls", "target_rate", "model calls per image (denoiser/generator + reward)",
          "Digits: target-class rate (reward classifier) vs model calls", dir.resolve("digits-target-rate-vs-model-calls"));
      plot(rows, header, "mean_evaluations", "target_rate", "network evaluations per image (rows through any model)",
          "Digits: target-class rate (reward classifier) vs evaluations",
          dir.resolve("digits-target-rate-vs-evaluations"));
      plot(rows, header, "mean_model_calls", "independent_rate", "model calls per image (denoiser/generator + reward)",
          "Digits: target-class rate (independent classifier) vs model calls",
          dir.resolve("digits-independent-rate-vs-model-calls"));
      plot(rows, header, "mean_wall_ms", "target_rate", "wall ms per image (1 thread)",
          "Digits: target-class rate (reward classifier) vs wall time", dir.resolve("digits-target-rate-vs-wall-ms"));
    }
    Path md = dir.resolve(task + ".md");
    Files.writeString(md, markdown(header, rows), StandardCharsets.UTF_8);
    System.err.println("[curves] wrote the plots and " + md + " from " + csv);
  }

  private static void plot(List<String[]> rows, String[] header, String x, String y, String xTitle, String title,
      Path file) throws IOException {
    int xi = column(header, x);
    int yi = column(header, y);
    Map<String, List<double[]>> series = new LinkedHashMap<>();
    for (String[] r : rows) {
      series.computeIfAbsent(r[0], k -> new ArrayList<>()).add(new double[] {Double.parseDouble(r[xi]),
          Double.parseDouble(r[yi])});
    }
    XYChart chart = new XYChartBuilder().width(720).height(460).title(title).xAxisTitle(xTitle)
        .yAxisTitle(y.replace('_', ' ')).build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setMarkerSize(7);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
      List<double[]> pts = e.getValue();
      pts.sort((a, b) -> Double.compare(a[0], b[0]));
      double[] xs = pts.stream().mapToDouble(p -> Math.max(p[0], 1e-3)).toArray();
      double[] ys = pts.stream().mapToDouble(p -> p[1]).toArray();
      chart.addSeries(e.getKey(), xs, ys);
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static int column(String[] header, String name) {
    for (int i = 0; i < header.length; i++) {
      if (header[i].equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("the CSV has no column '" + name + "'; its columns are " + String.join(", ",
        header));
  }

  static String markdown(String[] header, List<String[]> rows) {
    StringBuilder sb = new StringBuilder("|");
    for (String h : header) {
      sb.append(' ').append(h.replace("mean_", "").replace('_', ' ')).append(" |");
    }
    sb.append("\n|---|");
    sb.append("---:|".repeat(header.length - 1)).append('\n');
    for (String[] r : rows) {
      sb.append('|');
      for (String c : r) {
        sb.append(' ').append(c).append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
