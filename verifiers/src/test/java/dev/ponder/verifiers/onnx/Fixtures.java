package dev.ponder.verifiers.onnx;

import dev.ponder.verifiers.Verifier.VerifierInput;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The tiny random-weight exports under src/test/resources/fixtures (made by make_reward_fixtures.py). */
final class Fixtures {
  private static JsonNode golden;

  private Fixtures() {
  }

  static Path dir(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static synchronized JsonNode golden() {
    if (golden == null) {
      try {
        golden = new ObjectMapper().readTree(dir("golden.json").toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return golden;
  }

  static List<String> texts() {
    List<String> out = new ArrayList<>();
    golden().get("texts").forEach(t -> out.add(t.asText()));
    return out;
  }

  /** The texts as inputs: the first line (with its newline) is the prompt. */
  static List<VerifierInput> inputs() {
    List<VerifierInput> out = new ArrayList<>();
    for (String t : texts()) {
      int nl = t.indexOf('\n') + 1;
      out.add(VerifierInput.of(t.substring(0, nl), t.substring(nl)));
    }
    return out;
  }

  static double[] row(String model, int text) {
    JsonNode r = golden().get(model).get(text);
    double[] out = new double[r.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.get(i).asDouble();
    }
    return out;
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }
}
