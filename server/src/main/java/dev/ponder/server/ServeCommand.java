package dev.ponder.server;

import dev.ponder.engine.model.ModelOptions;
import dev.ponder.server.http.ApiKey;
import dev.ponder.server.http.EmbeddedModels;
import dev.ponder.server.http.Limits;
import dev.ponder.server.http.ModelRegistry;
import dev.ponder.server.http.PonderServer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ponder serve}: the HTTP server on the models embedded in the jar (and any under {@code --models DIR}).
 */
final class ServeCommand {
  static final String USAGE = """
      ponder serve [--host 127.0.0.1] [--port 8080] [--api-key-file FILE] [--models DIR] [--threads N]
                   [--workers N] [--queue N] [--max-body-bytes B] [--max-n N] [--max-new-tokens N]
                   [--max-policy-tokens N] [--max-deadline-ms MS]
        Serves POST /v1/search, the OpenAI-compatible /v1/models, /v1/completions and /v1/chat/completions,
        /health, /metrics (Prometheus) and the live search view at /. Serves the embedded models (countdown-policy,
        countdown-orm, countdown-orm-cached, countdown-prm, countdown-prm-cached, digits-*) from any directory, plus
        every model directory under --models DIR by its folder name. Binds to 127.0.0.1 unless --host says
        otherwise; a host beyond loopback needs an API key (the file's first line, or the PONDER_API_KEY
        environment variable), which clients send as 'Authorization: Bearer KEY'.""";

  private ServeCommand() {
  }

  static int run(List<String> argv, PrintStream out) throws Exception {
    Args a = new Args("serve", argv);
    String host = a.text("host", "127.0.0.1");
    int port = a.integer("port", 8080);
    String keyFile = a.text("api-key-file", null);
    String modelsDir = a.text("models", null);
    int threads = a.integer("threads", 0);
    Limits d = Limits.defaults();
    Limits limits = d.withWorkers(a.integer("workers", d.workers())).withQueue(a.integer("queue", d.queue()))
        .withMaxBodyBytes(a.longValue("max-body-bytes", d.maxBodyBytes())).withMaxN(a.integer("max-n", d.maxN()))
        .withMaxNewTokens(a.integer("max-new-tokens", d.maxNewTokens()))
        .withMaxPolicyTokens(a.longValue("max-policy-tokens", d.maxPolicyTokens()))
        .withMaxDeadline(Duration.ofMillis(a.longValue("max-deadline-ms", d.maxDeadline().toMillis())));
    a.rejectUnknown();
    ApiKey key = apiKey(keyFile, System.getenv("PONDER_API_KEY"));

    EmbeddedModels embedded = EmbeddedModels.extract();
    Map<String, Path> dirs = new LinkedHashMap<>(embedded.directories());
    PonderServer server;
    try {
      if (modelsDir != null) {
        for (Map.Entry<String, Path> e : ModelRegistry.scan(Path.of(modelsDir)).entrySet()) {
          if (dirs.putIfAbsent(e.getKey(), e.getValue()) != null) {
            throw new Args.UsageException("serve: --models " + modelsDir + " has a model '" + e.getKey()
                + "', which is also an embedded model's id; rename its folder");
          }
        }
      }
      ModelRegistry models = ModelRegistry.load(dirs, ModelOptions.cpu().withThreads(threads, 0));
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
    out.println("ponder serving " + dirs.size() + " models on http://" + host + ":" + server.port()
        + (key.required() ? " (API key required)" : "") + "; models: " + dirs.keySet());
    out.flush();
    server.join();
    return 0;
  }

  static ApiKey apiKey(String file, String env) {
    if (file != null) {
      try {
        List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        if (lines.isEmpty() || lines.get(0).isBlank()) {
          throw new Args.UsageException("serve: --api-key-file " + file + " is empty; expected the key on its first"
              + " line");
        }
        return ApiKey.of(lines.get(0).trim());
      } catch (IOException e) {
        throw new UncheckedIOException("serve: cannot read --api-key-file " + file, e);
      }
    }
    return env == null || env.isBlank() ? ApiKey.none() : ApiKey.of(env.trim());
  }
}
