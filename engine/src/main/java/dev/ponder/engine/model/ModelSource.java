package dev.ponder.engine.model;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a model's files come from: a directory, the classpath (a resource prefix, e.g. models embedded in an
 * application's jar), a base URL, or any function from a file name to its bytes. A model type asks its source for
 * the files its layout names ({@code model.onnx}, {@code config.json}, {@code tokenizer.json}, ...); nothing is
 * staged on disk.
 *
 * <pre>{@code
 * LanguageModel.load(ModelSource.directory(Path.of("onnx-models/countdown/policy")), ModelOptions.cpu());
 * LanguageModel.load(ModelSource.classpath("models/countdown/policy"), ModelOptions.cpu());
 * LanguageModel.load(ModelSource.url(new URL("https://example.org/policy/")), ModelOptions.cpu());
 * }</pre>
 *
 * <p>A directory source hands ONNX Runtime the file path (so an export with external weight files works); every
 * other source reads {@code model.onnx} into memory and ONNX Runtime builds the session from those bytes (at most
 * 2 GiB, and the weights must be inside the file). Immutable and thread-safe.
 */
public final class ModelSource {
  private final String description;
  private final Path directory;
  private final Opener opener;

  private ModelSource(String description, Path directory, Opener opener) {
    this.description = description;
    this.directory = directory;
    this.opener = opener;
  }

  /** Opens one file of a model; returns null when the source has no such file. */
  @FunctionalInterface
  public interface Opener {
    InputStream open(String fileName) throws IOException;
  }

  /** The files of a directory on the file system. */
  public static ModelSource directory(Path dir) {
    Objects.requireNonNull(dir, "dir");
    return new ModelSource(dir.toAbsolutePath().toString(), dir, name -> {
      try {
        return Files.newInputStream(dir.resolve(name));
      } catch (NoSuchFileException e) {
        return null;
      }
    });
  }

  /**
   * Resources under {@code prefix} (e.g. {@code "models/countdown/policy"}, no leading slash), found by this
   * library's class loader: the way to serve models packed inside an application's jar.
   */
  public static ModelSource classpath(String prefix) {
    return classpath(prefix, ModelSource.class.getClassLoader());
  }

  /** Resources under {@code prefix} found by {@code loader}. */
  public static ModelSource classpath(String prefix, ClassLoader loader) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(loader, "loader");
    if (prefix.startsWith("/")) {
      throw new IllegalArgumentException("classpath prefix must not start with '/' (class loaders resolve names"
          + " from the root), was '" + prefix + "'");
    }
    String base = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
    return new ModelSource("classpath:" + base, null, name -> loader.getResourceAsStream(base + name));
  }

  /** Files relative to a base URL ({@code file:}, {@code jar:}, {@code http(s):}, ...); a missing slash is added. */
  public static ModelSource url(URL base) {
    Objects.requireNonNull(base, "base");
    String text = base.toExternalForm();
    URL dir;
    try {
      dir = text.endsWith("/") ? base : new URL(text + "/");
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("bad model base URL " + text + ": " + e.getMessage(), e);
    }
    return new ModelSource(dir.toExternalForm(), null, name -> {
      try {
        return new URL(dir, name).openStream();
      } catch (FileNotFoundException | NoSuchFileException e) {
        return null;
      }
    });
  }

  /**
   * Files from any opener (a map of byte arrays, an archive, a blob store): {@code opener} returns a fresh stream
   * for each name, or null when there is no such file; {@code description} names the source in error messages.
   */
  public static ModelSource of(String description, Opener opener) {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(opener, "opener");
    return new ModelSource(description, null, opener);
  }

  /** The directory, for a source made by {@link #directory}. */
  public Optional<Path> directory() {
    return Optional.ofNullable(directory);
  }

  /** Where {@code fileName} comes from, for messages: a path, a {@code classpath:} name or a URL. */
  public String describe(String fileName) {
    return directory != null ? directory.resolve(fileName).toAbsolutePath().toString()
        : description + (description.endsWith("/") || description.endsWith(":") ? "" : "/") + fileName;
  }

  /** The bytes of a file, or empty when the source has no such file. */
  public Optional<byte[]> readIfPresent(String fileName) {
    try (InputStream in = opener.open(fileName)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalArgumentException("could not read " + describe(fileName) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
