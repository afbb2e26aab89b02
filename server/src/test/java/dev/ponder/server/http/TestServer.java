package dev.ponder.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.model.ModelOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A server on the embedded models on a free loopback port, and a plain java.net.http client for it. */
final class TestServer implements AutoCloseable {
  final EmbeddedModels embedded;
  final PonderServer server;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String key;

  TestServer(Limits limits, String key) throws Exception {
    this.key = key;
    embedded = EmbeddedModels.extract();
    ModelRegistry models = ModelRegistry.load(embedded.directories(), ModelOptions.cpu().withThreads(1, 1));
    server = PonderServer.start("127.0.0.1", 0, key == null ? ApiKey.none() : ApiKey.of(key), limits, models);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b;
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
    return http.send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws IOException {
    return Json.MAPPER.readTree(r.body());
  }

  @Override
  public void close() throws Exception {
    try (embedded) {
      server.close();
    }
  }
}
