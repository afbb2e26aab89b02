package dev.ponder.engine.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.testing.Zoo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Broken exports for tests: a zoo model's files copied to a temporary directory, with one JSON file edited. */
final class Exports {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Exports() {
  }

  /** Copies the zoo model's top-level files into {@code dir}; returns {@code dir}. */
  static Path copy(String zooModel, Path dir) {
    try (Stream<Path> files = Files.list(Zoo.model(zooModel))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites a JSON object file of {@code dir} after {@code edit}. */
  static void editJson(Path dir, String file, Consumer<ObjectNode> edit) {
    try {
      ObjectNode node = (ObjectNode) JSON.readTree(dir.resolve(file).toFile());
      edit.accept(node);
      JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(file).toFile(), node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
