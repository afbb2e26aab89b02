package dev.ponder.engine.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.testing.Zoo;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Reads the digits zoo's golden JSON files (row-major flat data with a shape). */
final class Goldens {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Goldens() {
  }

  static JsonNode read(String relative) {
    try {
      return JSON.readTree(Zoo.model(relative).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A {shape, data} node, or a flat data array with the given row width, as rows. */
  static float[][] rows(JsonNode tensor) {
    JsonNode data = tensor.has("data") ? tensor.get("data") : tensor;
    int b = tensor.get("shape").get(0).asInt();
    int d = tensor.get("shape").get(1).asInt();
    return rows(data, b, d);
  }

  static float[][] rows(JsonNode data, int b, int d) {
    if (data.size() != b * d) {
      throw new IllegalStateException("golden data has " + data.size() + " values, expected " + b + " x " + d);
    }
    float[][] out = new float[b][d];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < d; j++) {
        out[i][j] = (float) data.get(i * d + j).asDouble();
      }
    }
    return out;
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  static double maxAbsDiff(float[][] a, float[][] b) {
    if (a.length != b.length) {
      throw new AssertionError("row counts differ: " + a.length + " vs " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i].length != b[i].length) {
        throw new AssertionError("row " + i + " lengths differ: " + a[i].length + " vs " + b[i].length);
      }
      for (int j = 0; j < a[i].length; j++) {
        m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return m;
  }
}
