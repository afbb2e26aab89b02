package dev.ponder.server.http;

import dev.ponder.engine.SearchResult.SearchStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * The server's Prometheus metrics (served at {@code /metrics}): requests and their latency by route and status,
 * searches by algorithm and outcome with their latency, tokens by kind, queue depth and running searches.
 */
public final class ServerMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public ServerMetrics(Admission admission) {
    Gauge.builder("ponder.queue.depth", admission, Admission::queueDepth)
        .description("requests waiting for a search worker").register(registry);
    Gauge.builder("ponder.searches.running", admission, Admission::running)
        .description("searches running now").register(registry);
    new JvmMemoryMetrics().bindTo(registry);
  }

  public void request(String route, String method, int status, long nanos) {
    Timer.builder("ponder.http.requests").description("HTTP requests by route, method and status")
        .tags("route", route, "method", method, "status", Integer.toString(status))
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(120)).register(registry).record(Duration.ofNanos(nanos));
  }

  /** A search that ran: outcome is completed, budget_exhausted, cancelled or failed. */
  public void search(String algorithm, String outcome, long nanos, SearchStats stats) {
    Counter.builder("ponder.searches").description("searches by algorithm and outcome")
        .tags("algorithm", algorithm, "outcome", outcome).register(registry).increment();
    Timer.builder("ponder.search.duration").description("search wall time by algorithm")
        .tags("algorithm", algorithm).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(120)).register(registry).record(Duration.ofNanos(nanos));
    if (stats != null) {
      tokens("prompt", stats.promptTokens());
      tokens("generated", stats.generatedTokens());
      tokens("policy", stats.policyTokens());
      tokens("verifier", stats.verifierTokens());
    }
  }

  private void tokens(String kind, long n) {
    Counter.builder("ponder.tokens").description("tokens by kind: prompt, generated, policy (processed by the"
        + " policy), verifier").tags("kind", kind).register(registry).increment(n);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }
}
