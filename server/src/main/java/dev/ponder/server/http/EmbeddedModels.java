package dev.ponder.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The default models shipped inside the jar (under {@code ponder-models/} on the classpath), copied to a private
 * temporary directory so that the engine, which loads from directories, can open them; the directory is deleted
 * when {@link #close()} runs (the server calls it on shutdown). This class is the one place to change once the
 * engine loads models from the classpath itself.
 */
public final class EmbeddedModels implements AutoCloseable {
  /** Model id -> resource folder. */
  public static final Map<String, String> DEFAULTS = defaults();

  private static final List<String> FILES = List.of("config.json", "model.onnx", "tokenizer.json",
      "tokenizer_config.json", "generation_config.json", "scheduler_config.json", "special_tokens_map.json");

  private final Path root;
  private final Map<String, Path> dirs = new LinkedHashMap<>();

  private EmbeddedModels(Path root) {
    this.root = root;
  }

  private static Map<String, String> defaults() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String name : List.of("policy", "orm", "orm-cached", "prm", "prm-cached")) {
      m.put("countdown-" + name, "ponder-models/countdown/" + name);
    }
    for (String name : List.of("denoiser", "classifier", "noisy-classifier", "generator", "reward-grad")) {
      m.put("digits-" + name, "ponder-models/digits/" + name);
    }
    return Map.copyOf(m);
  }

  /** Copies every embedded model out of the jar; fails naming the model when the jar lacks it. */
  public static EmbeddedModels extract() {
    Path root;
    try {
      root = Files.createTempDirectory("ponder-models-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for the embedded models", e);
    }
    EmbeddedModels out = new EmbeddedModels(root);
    try {
      ClassLoader loader = EmbeddedModels.class.getClassLoader();
      for (Map.Entry<String, String> e : new java.util.TreeMap<>(DEFAULTS).entrySet()) {
        Path dir = Files.createDirectories(root.resolve(e.getKey()));
        int copied = 0;
        for (String file : FILES) {
          try (InputStream in = loader.getResourceAsStream(e.getValue() + "/" + file)) {
            if (in != null) {
              Files.copy(in, dir.resolve(file));
              copied++;
            }
          }
        }
        if (!Files.exists(dir.resolve("model.onnx"))) {
          throw new IllegalStateException("the jar has no embedded model " + e.getValue() + "/model.onnx (found "
              + copied + " of its files); rebuild with 'mvn -pl server -am package'");
        }
        out.dirs.put(e.getKey(), dir);
      }
    } catch (IOException | RuntimeException e) {
      out.close();
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot extract the embedded models to " + root, io);
      }
      throw (RuntimeException) e;
    }
    return out;
  }

  /** Model id -> extracted directory, in a stable order. */
  public Map<String, Path> directories() {
    return Map.copyOf(dirs);
  }

  @Override
  public void close() {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> all = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the extracted models under " + root, e);
    }
  }
}
