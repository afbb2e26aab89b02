package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.chat.ChatTemplate;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.testing.Zoo;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A request's messages through the library's chat template; its failures become OpenAI-style 400s. */
class ChatPromptTest {
  private static LanguageModel policy;

  @BeforeAll
  static void load() {
    policy = LanguageModel.load(Zoo.model("countdown/policy"));
  }

  @AfterAll
  static void close() {
    policy.close();
  }

  private static java.util.List<dev.ponder.chat.ChatMessage> parse(String json) throws Exception {
    return ChatPrompt.parse(Json.MAPPER.readTree(json));
  }

  @Test
  void aRefusalIsA400AboutTheMessagesWithTheTemplatesReason() throws Exception {
    ChatTemplate t = ChatTemplate.of("/secret/path/tokenizer_config.json", "{% if messages[0]['role'] != 'user' %}"
        + "{{ raise_exception('start with a user message') }}{% endif %}", Map.of());
    assertThatThrownBy(() -> ChatPrompt.render(parse("[{\"role\": \"system\", \"content\": \"1\"}]"), t, policy))
        .isInstanceOfSatisfying(ApiError.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.param()).isEqualTo("messages");
          assertThat(e.getMessage()).isEqualTo("the model's chat template refused the messages: start with a user"
              + " message").doesNotContain("/secret");
        });
  }

  @Test
  void aBrokenTemplateIsA400ThatSaysSoWithoutThePath() throws Exception {
    ChatTemplate t = ChatTemplate.of("/secret/path/tokenizer_config.json", "{% for m in messages %}{{ m }}",
        Map.of());
    assertThatThrownBy(() -> ChatPrompt.render(parse("[{\"role\": \"user\", \"content\": \"1\"}]"), t, policy))
        .isInstanceOfSatisfying(ApiError.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.getMessage()).startsWith("the model's chat template cannot be applied: ")
              .doesNotContain("/secret");
        });
  }

  @Test
  void withoutATemplateTheContentsAreJoinedByNewlines() throws Exception {
    assertThat(ChatPrompt.render(parse("[{\"role\": \"system\", \"content\": \"a\"}, {\"role\": \"user\","
        + " \"content\": [{\"type\": \"text\", \"text\": \"b\\n\"}]}]"), ChatTemplate.plain(), policy))
        .isEqualTo("a\nb\n");
  }
}
