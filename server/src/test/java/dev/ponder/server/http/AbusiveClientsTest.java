package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Clients that hold connections: bodies trickled byte by byte, more of them than the server has threads, streams
 * dropped mid-way, more searches than workers plus queue. The server keeps answering and gives everything back.
 */
class AbusiveClientsTest {
  private static final String SEARCH = "{\"model\": \"countdown-policy\", \"prompt\": \"numbers: 3 7 25 50 target:"
      + " 85\\n\", \"algorithm\": \"mcts\", \"n\": 64, \"m\": 8, \"verifier\": \"countdown-prm-cached\"";

  @Test
  void slowBodiesFromMoreClientsThanThreadsDoNotStopTheServer() throws Exception {
    // workers 1 + queue 2 + 32: 35 threads at most; 48 clients each trickle a body one byte every 200 ms.
    try (TestServer s = new TestServer(Limits.defaults().withWorkers(1).withQueue(2), null)) {
      int clients = 48;
      List<Socket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < clients; i++) {
          Socket c = new Socket("127.0.0.1", s.server.port());
          c.getOutputStream().write(("POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n{")
              .getBytes(StandardCharsets.US_ASCII));
          sockets.add(c);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
        while (System.nanoTime() < end) {
          for (Socket c : sockets) {
            try {
              c.getOutputStream().write(' ');
            } catch (java.io.IOException closedByServer) {
              // the server may drop a slow client: that is allowed
            }
          }
          Thread.sleep(200);
        }
        HttpResponse<String> health = s.http.send(s.request("/health").timeout(Duration.ofSeconds(5)).GET()
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
      } finally {
        for (Socket c : sockets) {
          c.close();
        }
      }
      assertThat(s.get("/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aSingleTrickledBodyIsStillAnswered() throws Exception {
    try (TestServer s = new TestServer(Limits.defaults(), null)) {
      byte[] body = "{\"model\": \"no-such-model\"}".getBytes(StandardCharsets.US_ASCII);
      try (Socket c = new Socket("127.0.0.1", s.server.port())) {
        c.setSoTimeout(30_000);
        OutputStream out = c.getOutputStream();
        out.write(("POST /v1/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + body.length
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte b : body) {
          out.write(b);
          out.flush();
          Thread.sleep(20);
        }
        RawHttp.Reply r = RawHttp.parse(RawHttp.readAll(c.getInputStream()));
        assertThat(r.status()).isEqualTo(404);
        HostileRequestsTest.assertClean(r);
      }
    }
  }

  @Test
  void streamsDroppedMidWayFreeTheirWorkers() throws Exception {
    try (TestServer s = new TestServer(Limits.defaults().withWorkers(2).withQueue(2), null)) {
      for (int round = 0; round < 6; round++) {
        try (Socket c = new Socket("127.0.0.1", s.server.port())) {
          c.setSoTimeout(30_000);
          byte[] body = (SEARCH + ", \"stream\": true}").getBytes(StandardCharsets.UTF_8);
          c.getOutputStream().write(RawHttp.concat(("POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: "
              + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body));
          BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
          String line;
          while ((line = in.readLine()) != null && !line.startsWith("event: ")) {
            // the head, until the first event: the search is running
          }
          assertThat(line).startsWith("event: ");
        } // dropped here, mid-stream
      }
      // Every dropped search is cancelled: nothing running or queued within a few seconds.
      JsonNode health = null;
      for (int i = 0; i < 100; i++) {
        health = TestServer.json(s.get("/health"));
        if (health.get("running").asInt() == 0 && health.get("queued").asInt() == 0) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(health.get("running").asInt()).as(health.toString()).isZero();
      assertThat(health.get("queued").asInt()).isZero();
      assertThat(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": \"numbers: 1 2 3 4"
          + " target: 10\\n\", \"max_tokens\": 4, \"seed\": 1}").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void moreSearchesThanWorkersAndQueueGet429sNever5xx() throws Exception {
    try (TestServer s = new TestServer(Limits.defaults().withWorkers(1).withQueue(2), null)) {
      ExecutorService pool = Executors.newFixedThreadPool(12);
      try {
        List<Future<Integer>> codes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          codes.add(pool.submit(() -> s.http.send(s.request("/v1/search").POST(HttpRequest.BodyPublishers
              .ofString(SEARCH + ", \"budget\": {\"deadline_ms\": 1500}}")).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode()));
        }
        List<Integer> seen = new ArrayList<>();
        for (Future<Integer> f : codes) {
          seen.add(f.get(120, TimeUnit.SECONDS));
        }
        assertThat(seen).allMatch(c -> c == 200 || c == 429);
        assertThat(seen).contains(429);
      } finally {
        pool.shutdownNow();
      }
      JsonNode health = TestServer.json(s.get("/health"));
      assertThat(health.get("running").asInt()).isZero();
      assertThat(health.get("queued").asInt()).isZero();
    }
  }
}
