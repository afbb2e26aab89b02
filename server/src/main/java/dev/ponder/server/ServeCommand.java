package dev.ponder.server;

import dev.ponder.engine.model.ModelOptions;
import dev.ponder.remote.EngineDialect;
import dev.ponder.server.http.ApiKey;
import dev.ponder.server.http.EmbeddedModels;
import dev.ponder.server.http.Limits;
import dev.ponder.server.http.ModelRegistry;
import dev.ponder.server.http.PonderServer;
import dev.ponder.server.http.RemoteModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code ponder serve}: the HTTP server on the models embedded in the jar (and any under {@code --models DIR}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
    header = "Serve the models over HTTP (OpenAI-compatible API, live view).",
    versionProvider = Version.class, defaultValueProvider = ServeCommand.LimitDefaults.class,
    description = {"Serves POST /v1/search, the OpenAI-compatible /v1/models, /v1/completions and"
        + " /v1/chat/completions, /health, /metrics (Prometheus) and the live search view at /.",
        "%nServes the embedded models (countdown-policy, countdown-orm, countdown-orm-cached, countdown-prm,"
        + " countdown-prm-cached, digits-*) from any directory, plus every model directory under --models DIR by its"
        + " folder name. Binds to 127.0.0.1 unless --host says otherwise; a host beyond loopback needs an API key"
        + " (the file's first line, or the PONDER_API_KEY environment variable), which clients send as"
        + " 'Authorization: Bearer KEY'.%n"})
final class ServeCommand implements Callable<Integer> {
  /** The server's limits default to {@link Limits#defaults()}, shown in the help as they are. */
  static final class LimitDefaults implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec arg) {
      Limits d = Limits.defaults();
      if (!(arg instanceof OptionSpec option)) {
        return null;
      }
      return switch (option.longestName()) {
        case "--workers" -> String.valueOf(d.workers());
        case "--queue" -> String.valueOf(d.queue());
        case "--max-body-bytes" -> String.valueOf(d.maxBodyBytes());
        case "--max-n" -> String.valueOf(d.maxN());
        case "--max-new-tokens" -> String.valueOf(d.maxNewTokens());
        case "--max-policy-tokens" -> String.valueOf(d.maxPolicyTokens());
        case "--max-deadline-ms" -> String.valueOf(d.maxDeadline().toMillis());
        default -> null;
      };
    }
  }

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "The address to bind.")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "0 picks a free port.")
  int port;

  @Option(names = "--api-key-file", paramLabel = "FILE", description = "The API key, on the file's first line"
      + " (default: the PONDER_API_KEY environment variable, if set).")
  String keyFile;

  @Option(names = "--models", paramLabel = "DIR", description = "More model folders, served by folder name.")
  String modelsDir;

  @Option(names = "--remote-model", paramLabel = "ID=URL#NAME", description = "Also serve, under ID, the model NAME"
      + " of the engine behind the OpenAI-compatible /v1/completions at URL (llama.cpp, vLLM, another ponder serve);"
      + " its searches score with this server's verifiers. Repeatable.")
  List<String> remoteModels = new java.util.ArrayList<>();

  @Option(names = "--remote-dialect", paramLabel = "DIALECT", defaultValue = "llama", description = "What the"
      + " --remote-model engines take: llama (llama.cpp's server: token ids) or text (text prompts only, e.g. vLLM"
      + " or ponder serve).")
  String remoteDialect;

  @Option(names = "--remote-api-key-env", paramLabel = "VAR", description = "The environment variable holding the"
      + " API key sent to the --remote-model engines (never the key itself on the command line); default: none.")
  String remoteKeyEnv;

  @Option(names = "--remote-group", paramLabel = "N", defaultValue = "1", description = "For every --remote-model:"
      + " send the hypotheses of a round that share their context as one request with n (at most N each); 1 sends"
      + " one request per hypothesis. Grouped, a hypothesis's tokens depend on its place in its group.")
  int remoteGroup;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "ONNX Runtime intra-op threads"
      + " per model; 0 lets it choose.")
  int threads;

  @Option(names = "--continuous-batching", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Merge the policy calls of searches running at once into one model call per step (same"
          + " results). Off by default: on a 2-core machine it measured slower (bench/README.md).")
  boolean continuousBatching;

  @Option(names = "--workers", paramLabel = "N", description = "Searches running at once (the cores, at least 2).")
  int workers;

  @Option(names = "--queue", paramLabel = "N", description = "Requests waiting for a worker; beyond: 429.")
  int queue;

  @Option(names = "--max-body-bytes", paramLabel = "B", description = "Larger request bodies: 413.")
  long maxBodyBytes;

  @Option(names = "--max-n", paramLabel = "N", description = "The most samples, particles, beams, simulations or"
      + " choices.")
  int maxN;

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "Per hypothesis.")
  int maxNewTokens;

  @Option(names = "--max-policy-tokens", paramLabel = "N", description = "Every search's token budget is capped to"
      + " this.")
  long maxPolicyTokens;

  @Option(names = "--max-deadline-ms", paramLabel = "MS", description = "Every search's deadline unless it asks for"
      + " less.")
  long maxDeadlineMs;

  private final PrintStream out;

  ServeCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() throws Exception {
    Limits limits = Limits.defaults().withWorkers(workers).withQueue(queue).withMaxBodyBytes(maxBodyBytes)
        .withMaxN(maxN).withMaxNewTokens(maxNewTokens).withMaxPolicyTokens(maxPolicyTokens)
        .withMaxDeadline(Duration.ofMillis(maxDeadlineMs));
    ApiKey key = apiKey(keyFile, System.getenv("PONDER_API_KEY"));

    EmbeddedModels embedded = EmbeddedModels.extract();
    Map<String, Path> dirs = new LinkedHashMap<>(embedded.directories());
    PonderServer server;
    List<String> ids;
    try {
      if (modelsDir != null) {
        for (Map.Entry<String, Path> e : ModelRegistry.scan(Path.of(modelsDir)).entrySet()) {
          if (dirs.putIfAbsent(e.getKey(), e.getValue()) != null) {
            throw new UsageException("serve: --models " + modelsDir + " has a model '" + e.getKey()
                + "', which is also an embedded model's id; rename its folder");
          }
        }
      }
      ModelRegistry models = ModelRegistry.load(dirs, remotes(), ModelOptions.cpu().withThreads(threads, 0),
          continuousBatching);
      ids = models.entries().stream().map(ModelRegistry.Entry::id).toList();
      try {
        server = PonderServer.start(host, port, key, limits, models);
      } catch (Exception | Error e) {
        models.close();
        throw e;
      }
    } catch (Exception | Error e) {
      embedded.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try (embedded) {
        server.close();
      } catch (Exception e) {
        System.err.println("error while stopping: " + e);
      }
    }, "ponder-shutdown"));
    out.println("ponder serving " + ids.size() + " models on http://" + host + ":" + server.port()
        + (key.required() ? " (API key required)" : "") + "; models: " + ids);
    out.flush();
    server.join();
    return 0;
  }

  private List<RemoteModel> remotes() {
    if (remoteModels.isEmpty() && remoteKeyEnv != null) {
      throw new UsageException("serve: --remote-api-key-env needs at least one --remote-model ID=URL#NAME");
    }
    EngineDialect dialect = switch (remoteDialect) {
      case "llama" -> EngineDialect.LLAMA_CPP;
      case "text" -> EngineDialect.TEXT;
      default -> throw new UsageException("serve: --remote-dialect must be 'llama' (llama.cpp's server: token ids)"
          + " or 'text' (engines that take text prompts only), was '" + remoteDialect + "'");
    };
    List<RemoteModel> out = new java.util.ArrayList<>();
    try {
      for (String spec : remoteModels) {
        out.add(RemoteModel.parse(spec, dialect, remoteKeyEnv, System::getenv, remoteGroup));
      }
    } catch (IllegalArgumentException e) {
      out.forEach(RemoteModel::close);
      throw new UsageException("serve: " + e.getMessage());
    }
    return out;
  }

  static ApiKey apiKey(String file, String env) {
    if (file != null) {
      try {
        List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        if (lines.isEmpty() || lines.get(0).isBlank()) {
          throw new UsageException("serve: --api-key-file " + file + " is empty; expected the key on its first"
              + " line");
        }
        return ApiKey.of(lines.get(0).trim());
      } catch (IOException e) {
        throw new IllegalStateException("serve: cannot read --api-key-file " + file + ": " + Errors.cause(e), e);
      }
    }
    return env == null || env.isBlank() ? ApiKey.none() : ApiKey.of(env.trim());
  }
}
