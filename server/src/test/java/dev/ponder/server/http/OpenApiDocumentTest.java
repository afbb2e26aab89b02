package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GET /openapi.json: served without a key, parses, and lists exactly the routes the Router dispatches. */
class OpenApiDocumentTest {

  @Test
  void theDocumentListsEveryRouteAndEveryRouteIsServed() throws Exception {
    try (TestServer s = new TestServer(Limits.defaults(), "k-1")) {
      HttpResponse<String> r = s.http.send(java.net.http.HttpRequest.newBuilder(s.uri("/openapi.json")).GET()
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v)
          .startsWith("application/json"));
      JsonNode doc = TestServer.json(r);
      assertThat(doc.path("openapi").asText()).startsWith("3.");
      List<String> documented = new ArrayList<>();
      Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields();
      while (paths.hasNext()) {
        Map.Entry<String, JsonNode> p = paths.next();
        p.getValue().fieldNames().forEachRemaining(m -> documented.add(m.toUpperCase() + " " + p.getKey()));
      }
      assertThat(documented).containsExactlyInAnyOrderElementsOf(Router.ROUTES);
      // Every documented operation's $refs resolve.
      doc.findValues("$ref").forEach(ref -> assertThat(doc.at(ref.asText().substring(1)).isMissingNode())
          .as(ref.asText()).isFalse());
      // The Router really serves each route (no "no route" 404).
      for (String route : Router.ROUTES) {
        String method = route.substring(0, route.indexOf(' '));
        String path = route.substring(route.indexOf(' ') + 1).replace("{id}", "countdown-policy");
        HttpResponse<String> answer = method.equals("GET") ? s.get(path) : s.post(path, "{}");
        assertThat(answer.statusCode()).as(route).isIn(200, 400);
      }
    }
  }

  @Test
  void theErrorSchemaIsTheOneTheServerWrites() throws Exception {
    try (TestServer s = new TestServer(Limits.defaults(), null)) {
      JsonNode doc = TestServer.json(s.get("/openapi.json"));
      JsonNode required = doc.at("/components/schemas/Error/properties/error/required");
      JsonNode error = TestServer.json(s.post("/v1/search", "{\"model\": 1}")).get("error");
      List<String> fields = new ArrayList<>();
      error.fieldNames().forEachRemaining(fields::add);
      List<String> documented = new ArrayList<>();
      required.forEach(f -> documented.add(f.asText()));
      assertThat(fields).containsExactlyInAnyOrderElementsOf(documented);
    }
  }
}
