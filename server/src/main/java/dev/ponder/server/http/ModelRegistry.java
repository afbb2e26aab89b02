package dev.ponder.server.http;

import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.GeneratorModel;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.verifiers.onnx.ImageClassifier;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import dev.ponder.verifiers.onnx.OnnxRewardGradient;
import dev.ponder.chat.ChatTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a server serves, loaded once and shared by every request (the engine's models are thread-safe).
 * Requests name models by id, never by path.
 */
public final class ModelRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
  /** One loaded model; {@code dir} is null for a {@link ModelKind#REMOTE_POLICY} (its model a {@link RemoteModel}). */
  public record Entry(String id, ModelKind kind, Path dir, AutoCloseable model, ChatTemplate chatTemplate) {}

  private final Map<String, Entry> entries;
  private final long createdSeconds = System.currentTimeMillis() / 1000;

  private ModelRegistry(Map<String, Entry> entries) {
    this.entries = entries;
  }

  /**
   * Loads every directory under its id, each search making its own policy calls; on any failure closes what it had
   * loaded and rethrows.
   */
  public static ModelRegistry load(Map<String, Path> dirs, ModelOptions options) {
    return load(dirs, List.of(), options, false);
  }

  /** {@link #load(Map, List, ModelOptions, boolean)} without continuous batching. */
  public static ModelRegistry load(Map<String, Path> dirs, List<RemoteModel> remotes, ModelOptions options) {
    return load(dirs, remotes, options, false);
  }

  /** {@link #load(Map, List, ModelOptions, boolean)} with no remote policies. */
  public static ModelRegistry load(Map<String, Path> dirs, ModelOptions options, boolean continuousBatching) {
    return load(dirs, List.of(), options, continuousBatching);
  }

  /**
   * Loads every directory under its id and adds the remote policies under theirs; on any failure (an id given
   * twice included) closes what it had, the remote models too, and rethrows.
   *
   * @param continuousBatching whether the policies merge the model calls of concurrent requests into one call per
   *                           step ({@link LanguageModel#batchAcrossSearches(boolean)}; results are the same)
   */
  public static ModelRegistry load(Map<String, Path> dirs, List<RemoteModel> remotes, ModelOptions options,
      boolean continuousBatching) {
    Map<String, Entry> loaded = new LinkedHashMap<>();
    try {
      for (RemoteModel r : remotes) {
        if (dirs.containsKey(r.id()) || loaded.containsKey(r.id())) {
          throw new IllegalArgumentException("--remote-model: the id '" + r.id() + "' is already taken by another"
              + " served model; choose another id");
        }
        loaded.put(r.id(), new Entry(r.id(), ModelKind.REMOTE_POLICY, null, r, null));
      }
      for (Map.Entry<String, Path> e : new TreeMap<>(dirs).entrySet()) {
        Path dir = e.getValue();
        ModelKind kind = ModelKind.of(dir);
        // A policy's chat template (the plain format when it has none); other kinds never see messages.
        ChatTemplate chat = kind == ModelKind.POLICY ? ChatTemplate.load(dir) : ChatTemplate.plain();
        loaded.put(e.getKey(), new Entry(e.getKey(), kind, dir, open(kind, dir, options, continuousBatching), chat));
      }
    } catch (RuntimeException e) {
      remotes.stream().filter(r -> !loaded.containsKey(r.id()) || loaded.get(r.id()).model() != r)
          .forEach(RemoteModel::close);
      new ModelRegistry(loaded).close();
      throw e;
    }
    return new ModelRegistry(loaded);
  }

  /**
   * The model directories directly under {@code root} (each with a model.onnx and a config.json, or an
   * onnxruntime-genai genai_config.json), by name.
   */
  public static Map<String, Path> scan(Path root) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("--models: expected a directory of model directories, found no directory "
          + root.toAbsolutePath());
    }
    Map<String, Path> out = new TreeMap<>();
    try (Stream<Path> list = Files.list(root)) {
      for (Path p : list.toList()) {
        boolean described = Files.isRegularFile(p.resolve("config.json"))
            || Files.isRegularFile(p.resolve("genai_config.json"));
        if (described && Files.isRegularFile(p.resolve("model.onnx"))) {
          out.put(p.getFileName().toString(), p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--models: " + root.toAbsolutePath() + " has no model directory (a folder"
          + " with model.onnx and config.json, e.g. an optimum export, or genai_config.json, an onnxruntime-genai"
          + " export)");
    }
    return out;
  }

  private static AutoCloseable open(ModelKind kind, Path dir, ModelOptions options, boolean continuousBatching) {
    switch (kind) {
      case POLICY:
        LanguageModel policy = LanguageModel.load(dir, options);
        if (continuousBatching && !policy.canBatchAcrossSearches()) {
          // One such policy should not stop the others from merging; say so once, at start-up.
          LOG.warn("--continuous-batching: {} is a GroupQueryAttention export (KV in place), whose calls are not"
              + " merged yet; its searches make their own calls", dir.getFileName());
          return policy;
        }
        return policy.batchAcrossSearches(continuousBatching);
      case ORM:
        return OnnxOutcomeReward.builder(dir).options(options).build();
      case PRM:
        return OnnxProcessReward.builder(dir).options(options).build();
      case DENOISER:
        return DiffusionModel.load(dir, options);
      case CLASSIFIER:
      case NOISY_CLASSIFIER:
        return ImageClassifier.load(dir, options);
      case GENERATOR:
        return GeneratorModel.load(dir, options);
      default:
        return OnnxRewardGradient.load(dir, options);
    }
  }

  public List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  public long createdSeconds() {
    return createdSeconds;
  }

  /** The entry, or a 404 naming the served ids. */
  public Entry get(String id) {
    Entry e = entries.get(id);
    if (e == null) {
      throw ApiError.modelNotFound(id, entries.keySet().toString());
    }
    return e;
  }

  /** The entry, which must be of {@code kind}; {@code param} names the request field for the error. */
  public Entry get(String id, ModelKind kind, String param) {
    Entry e = entries.get(id);
    if (e == null) {
      List<String> fitting = entries.values().stream().filter(x -> x.kind() == kind).map(Entry::id).toList();
      throw new ApiError(404, "invalid_request_error", param, "model_not_found", "'" + param + "': the model '" + id
          + "' does not exist; served " + kind.label() + " models: " + fitting);
    }
    if (e.kind() != kind) {
      List<String> fitting = entries.values().stream().filter(x -> x.kind() == kind).map(Entry::id).toList();
      throw ApiError.invalid(param, "'" + param + "' must name a model of kind " + kind.label() + "; '" + id
          + "' is of kind " + e.kind().label() + ". Served " + kind.label() + " models: " + fitting);
    }
    return e;
  }

  /**
   * The text with every served model's directory (and every remote engine's URL) replaced by the model's id:
   * clients see ids, never paths or the addresses behind them.
   */
  public String redactPaths(String text) {
    String out = text;
    for (Entry e : entries.values()) {
      if (e.model() instanceof RemoteModel r) {
        String url = r.endpoint().baseUrl().toString();
        out = out.replace(url, "[engine of " + e.id() + "]");
        continue;
      }
      out = out.replace(e.dir().toAbsolutePath().toString(), "[model " + e.id() + "]")
          .replace(e.dir().toString(), "[model " + e.id() + "]");
    }
    return out;
  }

  /** The remote policy served under {@code id}, or null when {@code id} names a model of another kind. */
  public RemoteModel remote(String id) {
    Entry e = get(id);
    return e.model() instanceof RemoteModel r ? r : null;
  }

  public LanguageModel policy(String id, String param) {
    return (LanguageModel) get(id, ModelKind.POLICY, param).model();
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (Entry e : entries.values()) {
      try {
        e.model().close();
      } catch (Exception ex) {
        if (first == null) {
          first = new IllegalStateException("cannot close model " + e.id(), ex);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
