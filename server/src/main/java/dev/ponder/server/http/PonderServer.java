package dev.ponder.server.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The HTTP server: Jetty on one address, the {@link Router}, and the models it serves. */
public final class PonderServer implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;
  private final ModelRegistry models;

  private PonderServer(Server server, ServerConnector connector, ModelRegistry models) {
    this.server = server;
    this.connector = connector;
    this.models = models;
  }

  /**
   * Starts serving {@code models} on {@code host:port} (port 0 picks a free one). Refuses a non-loopback host
   * without an API key.
   */
  public static PonderServer start(String host, int port, ApiKey apiKey, Limits limits, ModelRegistry models)
      throws Exception {
    if (!isLoopback(host) && !apiKey.required()) {
      throw new IllegalArgumentException("binding to " + host + " (beyond loopback) needs an API key: pass"
          + " --api-key-file FILE or set PONDER_API_KEY");
    }
    // Threads: every admitted request holds one while it runs or waits, plus some for quick routes and 429s.
    QueuedThreadPool pool = new QueuedThreadPool(limits.workers() + limits.queue() + 32, 8);
    pool.setName("ponder-http");
    Server server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(port);
    // A search may run up to its deadline without writing: the connection must outlive it.
    connector.setIdleTimeout(limits.maxDeadline().toMillis() + 30_000);
    server.addConnector(connector);
    Admission admission = new Admission(limits);
    server.setErrorHandler(new JsonErrorHandler());
    server.setHandler(new Router(models, apiKey, limits, admission, new ServerMetrics(admission)));
    server.setStopTimeout(5_000);
    try {
      server.start();
    } catch (Exception e) {
      server.stop(); // e.g. the port is taken: no thread pool left behind
      throw e;
    }
    return new PonderServer(server, connector, models);
  }

  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve --host " + host, e);
    }
  }

  public int port() {
    return connector.getLocalPort();
  }

  public String host() {
    return connector.getHost();
  }

  public void join() throws InterruptedException {
    server.join();
  }

  /** Stops accepting, lets requests in flight end (up to 5 s), then closes the models. */
  @Override
  public void close() throws Exception {
    try {
      server.stop();
    } finally {
      models.close();
    }
  }
}
