package dev.ponder.server.http;

import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.EngineDialect;
import dev.ponder.remote.RemoteEndpoint;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A policy the server does not run itself but reaches over an OpenAI-compatible {@code /v1/completions} API (a
 * llama.cpp, vLLM or another Ponder server), served under a local model id: searches over it send each step to
 * the engine and score with the server's local verifiers. One client (connection pool) per model, shared by all
 * requests.
 */
public final class RemoteModel implements AutoCloseable {
  private static final Pattern SPEC = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*)=(https?://[^#\\s]+)#(\\S+)");

  private final String id;
  private final CompletionClient client;
  private final int group;

  public RemoteModel(String id, RemoteEndpoint endpoint) {
    this(id, endpoint, 1);
  }

  /** {@code group}: as in {@link dev.ponder.remote.RemoteProcess#groupSharedContexts} (1: one request a hypothesis). */
  public RemoteModel(String id, RemoteEndpoint endpoint, int group) {
    if (group < 1) {
      throw new IllegalArgumentException("--remote-group must be >= 1 (1 = one request per hypothesis), was " + group);
    }
    this.id = id;
    this.group = group;
    this.client = new CompletionClient(endpoint);
  }

  public int group() {
    return group;
  }

  /**
   * Reads {@code ID=URL#NAME} (the {@code --remote-model} option): serve the engine's model {@code NAME} at
   * {@code URL} under {@code ID}. The API key is read from the environment variable {@code keyEnv} (null: none),
   * never from the command line.
   *
   * @throws IllegalArgumentException naming what was expected and what was found
   */
  public static RemoteModel parse(String spec, EngineDialect dialect, String keyEnv, java.util.function.Function<String,
      String> env) {
    return parse(spec, dialect, keyEnv, env, 1);
  }

  /** {@link #parse(String, EngineDialect, String, java.util.function.Function)} with requests grouped by {@code group}. */
  public static RemoteModel parse(String spec, EngineDialect dialect, String keyEnv, java.util.function.Function<String,
      String> env, int group) {
    Matcher m = SPEC.matcher(spec);
    if (!m.matches()) {
      throw new IllegalArgumentException("--remote-model: expected ID=URL#NAME (e.g."
          + " remote-policy=http://127.0.0.1:8081#countdown-policy), found '" + spec + "'");
    }
    RemoteEndpoint endpoint;
    try {
      endpoint = RemoteEndpoint.of(m.group(2), m.group(3)).withDialect(dialect);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--remote-model " + spec + ": the URL " + m.group(2) + " is not valid: "
          + e.getMessage(), e);
    }
    if (keyEnv != null) {
      String key = env.apply(keyEnv);
      if (key == null || key.isBlank()) {
        throw new IllegalArgumentException("--remote-api-key-env names " + keyEnv + ", which is not set or empty");
      }
      endpoint = endpoint.withApiKey(key.trim());
    }
    return new RemoteModel(m.group(1), endpoint, group);
  }

  public String id() {
    return id;
  }

  public RemoteEndpoint endpoint() {
    return client.endpoint();
  }

  public CompletionClient client() {
    return client;
  }

  @Override
  public void close() {
    client.close();
  }
}
