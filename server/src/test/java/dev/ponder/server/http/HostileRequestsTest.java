package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests no client should send, over raw sockets: each gets a 4xx with the JSON error body (no 5xx, no HTML, no
 * stack trace, no file path), and the server answers a normal request right after.
 */
class HostileRequestsTest {
  private static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = new TestServer(Limits.defaults(), null);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static RawHttp.Reply send(byte[] request, boolean halfClose) throws Exception {
    RawHttp.Reply r = RawHttp.send(s.server.port(), request, halfClose);
    assertClean(r);
    // The server keeps serving.
    assertThat(s.get("/health").statusCode()).isEqualTo(200);
    return r;
  }

  static void assertClean(RawHttp.Reply r) throws Exception {
    assertThat(r.status()).as(r.head() + "\n" + r.body()).isBetween(400, 499);
    assertThat(r.json()).as(r.head()).isTrue();
    JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
    assertThat(error).as(r.body()).isNotNull();
    for (String f : new String[] {"message", "type", "param", "code"}) {
      assertThat(error.has(f)).as(f + " in " + r.body()).isTrue();
    }
    assertThat(r.body()).doesNotContain("at dev.ponder", "Exception", ".java:", "/tmp/", "/work/", "/root/",
        "/home/");
  }

  @Test
  void jettysOwnRefusalsComeAsJsonErrors() throws Exception {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("bad percent escape", "GET /v1/models/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cases.put("encoded slash", "GET /v1/models/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cases.put("empty segment", "GET //health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cases.put("no host", "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
    cases.put("bad length", "POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n");
    cases.put("huge header", "GET /health HTTP/1.1\r\nHost: x\r\nX: " + "a".repeat(20_000)
        + "\r\nConnection: close\r\n\r\n");
    cases.put("NUL in path", "GET /v1/models/a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      RawHttp.Reply r = RawHttp.send(s.server.port(), ascii(c.getValue()), false);
      assertThat(r.status()).as(c.getKey()).isBetween(400, 499);
      assertThat(r.json()).as(c.getKey() + ": " + r.head()).isTrue();
      assertClean(r);
      assertThat(s.get("/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aMalformedChunkedBodyIs400NotA500() throws Exception {
    RawHttp.Reply r = send(ascii("POST /v1/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        + "Connection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"), false);
    assertThat(r.status()).isEqualTo(400);
  }

  @Test
  void aBodyCutShortIs400NotA500() throws Exception {
    byte[] head = ascii("POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n");
    RawHttp.Reply r = send(RawHttp.concat(head, ascii("{\"model\": \"count")), true);
    assertThat(r.status()).isEqualTo(400);
  }

  @Test
  void badJsonOfEveryKindIs400() throws Exception {
    String deepArrays = "[".repeat(100_000) + "]".repeat(100_000);
    String deepObjects = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
    String[] bodies = {"{\"model\": \"countdown-pol", deepArrays, deepObjects,
        "{\"model\": \"countdown-policy\", \"n\": 1e309}", "{\"model\": \"countdown-policy\", \"seed\": 9223372036854775808}",
        "{\"model\": \"countdown-policy\", \"n\": " + "9".repeat(5000) + "}",
        "{\"model\": \"countdown-policy\", \"temperature\": -1e309}", "{\"model\": [1, 2]}", "{\"model\": {}}",
        "{\"model\": \"countdown-policy\", \"n\": \"8\"}", "{\"model\": \"countdown-policy\", \"budget\": []}",
        "[]", "null", "\"text\"", "", "{\"model\": \"countdown-policy\", \"model\": 3}",
        "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"budget\": {\"deadline_ms\": 1e20}}"};
    for (String path : new String[] {"/v1/search", "/v1/completions", "/v1/chat/completions"}) {
      for (String b : bodies) {
        RawHttp.Reply r = send(RawHttp.post(path, b.getBytes(StandardCharsets.UTF_8)), false);
        assertThat(r.status()).as(path + " " + b.substring(0, Math.min(60, b.length()))).isIn(400, 404);
      }
    }
  }

  @Test
  void invalidUtf8IsRefusedCleanly() throws Exception {
    byte[] body = {'{', '"', 'm', 'o', 'd', 'e', 'l', '"', ':', '"', (byte) 0xff, (byte) 0xfe, (byte) 0xc3, '"',
        ',', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}'};
    for (String path : new String[] {"/v1/search", "/v1/completions", "/v1/chat/completions"}) {
      send(RawHttp.post(path, body), false);
    }
  }

  @Test
  void tenMegabytesAre413WithOrWithoutALength() throws Exception {
    byte[] big = new byte[10 << 20];
    Arrays.fill(big, (byte) ' ');
    big[0] = '{';
    RawHttp.Reply declared = send(RawHttp.post("/v1/search", big), false);
    assertThat(declared.status()).isEqualTo(413);
    StringBuilder chunked = new StringBuilder("POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
        + "\r\nConnection: close\r\n\r\n");
    String chunk = " ".repeat(65_536);
    for (int i = 0; i < 160; i++) {
      chunked.append("10000\r\n").append(chunk).append("\r\n");
    }
    chunked.append("0\r\n\r\n");
    RawHttp.Reply streamed = send(ascii(chunked.toString()), false);
    assertThat(streamed.status()).isEqualTo(413);
  }
}
