package dev.ponder.remote;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the engine is and how to talk to it.
 *
 * @param baseUrl        the server's root, e.g. {@code http://127.0.0.1:8080}; requests go to
 *                       {@code baseUrl + "/v1/completions"}
 * @param model          the {@code model} field of every request
 * @param apiKey         sent as {@code Authorization: Bearer ...}; {@code null} for none
 * @param dialect        what the engine accepts beyond the OpenAI schema
 * @param connectTimeout the most time to open a connection
 * @param requestTimeout the most time for one attempt, from sending to the last byte of the answer
 * @param maxInFlight    the most requests outstanding at once (the rest wait their turn), >= 1
 * @param retry          when to retry
 */
public record RemoteEndpoint(URI baseUrl, String model, String apiKey, EngineDialect dialect,
    Duration connectTimeout, Duration requestTimeout, int maxInFlight, RetryPolicy retry) {

  public RemoteEndpoint {
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(dialect, "dialect");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(retry, "retry");
    String scheme = baseUrl.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException("baseUrl must be http or https, was " + baseUrl);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be >= 1, was " + maxInFlight);
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
    }
  }

  /** A llama.cpp server at {@code baseUrl}: no key, 2 s to connect, 60 s per attempt, 64 in flight, standard retries. */
  public static RemoteEndpoint of(String baseUrl, String model) {
    return new RemoteEndpoint(URI.create(baseUrl), model, null, EngineDialect.LLAMA_CPP, Duration.ofSeconds(2),
        Duration.ofSeconds(60), 64, RetryPolicy.standard());
  }

  /**
   * The key from the environment variable {@code name}.
   *
   * @throws IllegalArgumentException when the variable is unset or empty
   */
  public RemoteEndpoint withApiKeyFromEnv(String name) {
    String key = System.getenv(name);
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("environment variable " + name + " is unset or empty; it should hold the API key");
    }
    return withApiKey(key);
  }

  public RemoteEndpoint withApiKey(String value) {
    return new RemoteEndpoint(baseUrl, model, value, dialect, connectTimeout, requestTimeout, maxInFlight, retry);
  }

  public RemoteEndpoint withDialect(EngineDialect value) {
    return new RemoteEndpoint(baseUrl, model, apiKey, value, connectTimeout, requestTimeout, maxInFlight, retry);
  }

  public RemoteEndpoint withTimeouts(Duration connect, Duration request) {
    return new RemoteEndpoint(baseUrl, model, apiKey, dialect, connect, request, maxInFlight, retry);
  }

  public RemoteEndpoint withMaxInFlight(int value) {
    return new RemoteEndpoint(baseUrl, model, apiKey, dialect, connectTimeout, requestTimeout, value, retry);
  }

  public RemoteEndpoint withRetry(RetryPolicy value) {
    return new RemoteEndpoint(baseUrl, model, apiKey, dialect, connectTimeout, requestTimeout, maxInFlight, value);
  }

  URI resolve(String path) {
    String base = baseUrl.toString();
    return URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) + path : base + path);
  }

  @Override
  public String toString() { // never print the key
    return "RemoteEndpoint[" + baseUrl + ", model=" + model + ", dialect=" + dialect
        + (apiKey == null ? "" : ", apiKey=***") + "]";
  }
}
