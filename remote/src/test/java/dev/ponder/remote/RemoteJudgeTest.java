package dev.ponder.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.SearchContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RemoteJudgeTest {
  private MockWebServer server;
  private CompletionClient client;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        String body = r.getBody().utf8();
        String tops = body.contains("rate") // P(4) 0.5, P( 5) 0.25, P(9) 0.2 (out of range), P(x) 0.05
            ? "{\"id\":1,\"token\":\"4\",\"logprob\":" + Math.log(0.5) + "},{\"id\":2,\"token\":\" 5\",\"logprob\":"
                + Math.log(0.25) + "},{\"id\":3,\"token\":\"9\",\"logprob\":" + Math.log(0.2) + "},{\"id\":4,\"token\":\"x\","
                + "\"logprob\":" + Math.log(0.05) + "}"
            : body.contains("good") // P(Yes) 0.6, P( Yes) 0.2, P(No) 0.1
            ? "{\"id\":1,\"token\":\"Yes\",\"logprob\":" + Math.log(0.6) + "},{\"id\":2,\"token\":\" Yes\",\"logprob\":"
                + Math.log(0.2) + "},{\"id\":3,\"token\":\"No\",\"logprob\":" + Math.log(0.1) + "}"
            : body.contains("bad")
                ? "{\"id\":3,\"token\":\"No\",\"logprob\":" + Math.log(0.9) + "}"
                : "{\"id\":4,\"token\":\"Maybe\",\"logprob\":-0.1},{\"id\":5,\"token\":\"Perhaps\",\"logprob\":-3}";
        return new MockResponse.Builder().code(200).body("{\"choices\":[{\"text\":\"Yes\",\"finish_reason\":\"length\","
            + "\"logprobs\":{\"content\":[{\"id\":1,\"token\":\"Yes\",\"logprob\":-0.5,\"top_logprobs\":[" + tops + "]}]}}],"
            + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":6}}}").build();
      }
    });
    server.start();
    client = new CompletionClient(RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "judge"));
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  @Test
  void theVerdictIsTheShareOfYesAmongYesAndNo() throws Exception {
    RemoteJudge<String> judge = new RemoteJudge<>(client, s -> "Answer: " + s + "\nCorrect? ", "Yes", "No", 5);
    SearchContext ctx = SearchContext.builder().build();
    double[] s = judge.score(List.of("good", "bad"), ctx);
    assertThat(s[0]).isCloseTo(0.8 / 0.9, offset(1e-9));
    assertThat(s[1]).isEqualTo(0.0);
    assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
    assertThat(ctx.counters().verifierTokens()).isEqualTo(2 * (4 + 1));
    String sent = server.takeRequest().getBody().utf8();
    assertThat(sent).contains("\"max_tokens\":1", "\"temperature\":0.0", "\"logprobs\":5");
  }

  @Test
  void aJudgeThatSaysNeitherWordIsAnErrorShowingWhatItSaid() {
    RemoteJudge<String> judge = new RemoteJudge<>(client, s -> s, "Yes", "No", 5);
    assertThatThrownBy(() -> judge.score(List.of("other"), SearchContext.builder().build()))
        .hasMessageContaining("neither 'Yes' nor 'No'").hasMessageContaining("Maybe");
  }

  @Test
  void aRatingIsTheExpectedValueOverTheRatingsListedMappedToZeroOne() {
    RemoteJudge<String> judge = RemoteJudge.rating(client, s -> s + ": rate 1 to 5: ", 1, 5, 5);
    double[] s = judge.score(List.of("answer"), SearchContext.builder().build());
    double expected = (4 * 0.5 + 5 * 0.25) / 0.75; // 9 and x are not ratings in [1, 5]
    assertThat(s[0]).isCloseTo((expected - 1) / 4, offset(1e-9));
  }

  @Test
  void aJudgeWithNoRatingInRangeIsAnError() {
    RemoteJudge<String> judge = RemoteJudge.rating(client, s -> s, 1, 5, 5);
    assertThatThrownBy(() -> judge.score(List.of("bad"), SearchContext.builder().build()))
        .hasMessageContaining("no rating in [1, 5]").hasMessageContaining("No");
  }

  @Test
  void rejectsAmbiguousWords() {
    assertThatThrownBy(() -> new RemoteJudge<String>(client, s -> s, "Yes", " Yes ", 5))
        .hasMessageContaining("two different non-blank words");
  }
}
