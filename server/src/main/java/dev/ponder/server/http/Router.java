package dev.ponder.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's one Jetty handler: routes, checks the API key, turns {@link ApiError} into the OpenAI error body
 * with its status and anything unexpected into a 500 without internals (logged with its stack trace here), and
 * writes one log line and the metrics for every request.
 */
public final class Router extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger("dev.ponder.server.requests");
  private static final Map<String, String> STATIC = Map.of("/", "web/index.html", "/index.html", "web/index.html",
      "/view.js", "web/view.js", "/style.css", "web/style.css", "/openapi.json", "openapi.json");
  /** Every route as "METHOD /path" (the OpenAPI document in openapi.json lists the same). */
  static final List<String> ROUTES = List.of("GET /health", "GET /metrics", "GET /openapi.json", "GET /v1/models",
      "GET /v1/models/{id}", "POST /v1/search", "POST /v1/completions", "POST /v1/chat/completions", "GET /",
      "GET /index.html", "GET /view.js", "GET /style.css");

  private final ApiKey apiKey;
  private final Limits limits;
  private final Admission admission;
  private final ServerMetrics metrics;
  private final ModelRegistry models;
  private final SearchEndpoint search;
  private final OpenAiEndpoint completions;
  private final OpenAiEndpoint chat;
  private final ModelsEndpoint modelList;

  public Router(ModelRegistry models, ApiKey apiKey, Limits limits, Admission admission, ServerMetrics metrics) {
    super(InvocationType.BLOCKING);
    this.apiKey = apiKey;
    this.limits = limits;
    this.admission = admission;
    this.metrics = metrics;
    this.models = models;
    Searches searches = new Searches(new SearchRunner(models), admission, metrics);
    this.search = new SearchEndpoint(searches, limits);
    this.completions = new OpenAiEndpoint(searches, models, limits, false);
    this.chat = new OpenAiEndpoint(searches, models, limits, true);
    this.modelList = new ModelsEndpoint(models);
  }

  /**
   * A POST body is read first without holding a thread (a client that trickles it byte by byte holds only its
   * connection), then the request runs on a pool thread with the body in hand.
   */
  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    long start = System.nanoTime();
    long declared = request.getLength();
    if (!"POST".equals(request.getMethod()) || declared == 0 || declared > limits.maxBodyBytes()) {
      serve(request, response, callback, start, null);
      return true;
    }
    Executor pool = getServer().getThreadPool();
    Content.Source.asByteArrayAsync(request, (int) Math.min(Integer.MAX_VALUE - 8, limits.maxBodyBytes() + 1))
        .whenComplete((bytes, failure) -> pool.execute(() -> serve(request, response, callback, start,
            new Exchange.Body(bytes, failure))));
    return true;
  }

  private void serve(Request request, Response response, Callback callback, long start, Exchange.Body body) {
    String method = request.getMethod();
    String path = Request.getPathInContext(request);
    String route = route(path);
    Exchange x = new Exchange(request, response, limits.maxBodyBytes(), body);
    String failure = null;
    try {
      dispatch(x, method, path, route);
      callback.succeeded();
    } catch (ApiError e) {
      failure = e.getMessage();
      respondError(x, e, callback);
    } catch (Cancellation.ClientGone e) {
      failure = "cancelled: " + e.getMessage();
      x.status(499);
      callback.failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = "interrupted";
      respondError(x, new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down"),
          callback);
    } catch (Throwable e) {
      failure = e.toString();
      LOG.error("{} {} failed", method, path, e);
      respondError(x, new ApiError(500, "server_error", null, "internal_error",
          "internal server error; the server log has the details"), callback);
    }
    long nanos = System.nanoTime() - start;
    metrics.request(route, method, x.status(), nanos);
    LOG.info("{} {} {} {} ms model={} algorithm={} remote={}{}", method, path, x.status(),
        String.format(Locale.ROOT, "%.1f", nanos / 1e6), x.model(), x.algorithm(), Request.getRemoteAddr(request),
        failure == null ? "" : " error=\"" + failure.replace('"', '\'') + "\"");
  }

  private void respondError(Exchange x, ApiError e, Callback callback) {
    if (x.committed()) {
      x.status(e.status());
      callback.failed(e);
      return;
    }
    try {
      x.error(e, admission.retryAfterSeconds());
      callback.succeeded();
    } catch (IOException | RuntimeException io) {
      callback.failed(io);
    }
  }

  private static String route(String path) {
    if (path.startsWith("/v1/models/")) {
      return "/v1/models/{id}";
    }
    return switch (path) {
      case "/health", "/metrics", "/v1/models", "/v1/search", "/v1/completions", "/v1/chat/completions" -> path;
      default -> STATIC.containsKey(path) ? "static" : "other";
    };
  }

  private void dispatch(Exchange x, String method, String path, String route) throws Exception {
    if (route.equals("/health")) {
      requireMethod(method, "GET", path);
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("status", "ok");
      o.put("models", models.entries().size());
      o.put("running", admission.running());
      o.put("queued", admission.queueDepth());
      x.json(200, o);
      return;
    }
    if (route.equals("static")) {
      requireMethod(method, "GET", path);
      serveStatic(x, STATIC.get(path));
      return;
    }
    if (!apiKey.accepts(x.request().getHeaders().get(HttpHeader.AUTHORIZATION))) {
      throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
          "missing or wrong API key: send the header 'Authorization: Bearer KEY'");
    }
    switch (route) {
      case "/metrics" -> {
        requireMethod(method, "GET", path);
        x.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
      }
      case "/v1/models" -> {
        requireMethod(method, "GET", path);
        modelList.list(x);
      }
      case "/v1/models/{id}" -> {
        requireMethod(method, "GET", path);
        modelList.one(x, path.substring("/v1/models/".length()));
      }
      case "/v1/search" -> {
        requireMethod(method, "POST", path);
        search.handle(x);
      }
      case "/v1/completions" -> {
        requireMethod(method, "POST", path);
        completions.handle(x);
      }
      case "/v1/chat/completions" -> {
        requireMethod(method, "POST", path);
        chat.handle(x);
      }
      default -> throw new ApiError(404, "invalid_request_error", null, "not_found", "no route " + method + " "
          + path + "; routes: " + String.join(", ", ROUTES) + " (GET /openapi.json describes them)");
    }
  }

  private static void requireMethod(String method, String expected, String path) {
    if (!method.equals(expected)) {
      throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", path + " expects " + expected
          + ", found " + method);
    }
  }

  private static void serveStatic(Exchange x, String resource) throws IOException {
    try (InputStream in = Router.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks " + resource);
      }
      String type = resource.endsWith(".html") ? "text/html; charset=utf-8"
          : resource.endsWith(".json") ? "application/json; charset=utf-8"
          : resource.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
      x.bytes(200, type, in.readAllBytes());
    }
  }
}
