package dev.ponder.chat;

import dev.ponder.engine.testing.BosPostProcessor;
import static dev.ponder.chat.ChatMessage.assistant;
import static dev.ponder.chat.ChatMessage.user;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A template that writes the BOS, on a tokenizer that adds one too (Llama's case): the model sees one BOS, as after
 * transformers' apply_chat_template(tokenize=True). The tiny GPT-2 export is made Llama-like: its post-processor
 * puts {@code <|endoftext|>} (id 0) before the text, and its tokenizer_config.json names that token bos_token.
 * Its vocabulary is characters: ids 1 '\n', 2 ' ', 7..16 '0'..'9', 17 ':'; the roles are written as "us"/"a".
 */
class ChatPromptBosTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}us: "
      + "{% else %}a: {% endif %}{{ m['content'] | trim }}\n{% endfor %}{% if add_generation_prompt %}a:{% endif %}";
  private static final List<ChatMessage> CHAT = List.of(user("12"), assistant("3"), user("45"));

  @TempDir
  static Path dir;

  @BeforeAll
  static void llamaLikeExport() throws Exception {
    Path zoo = Zoo.model("tiny-gpt2");
    for (String f : List.of("config.json", "model.onnx", "generation_config.json")) {
      Files.copy(zoo.resolve(f), dir.resolve(f));
    }
    ObjectNode tok = (ObjectNode) JSON.readTree(zoo.resolve("tokenizer.json").toFile());
    BosPostProcessor.addTo(tok);
    JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tok);
    ObjectNode config = JSON.createObjectNode();
    config.put("chat_template", TEMPLATE);
    config.put("bos_token", "<|endoftext|>");
    JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
  }

  @Test
  void aTokenizerThatAddsBosGetsThePromptWithoutTheTemplatesCopy() {
    ChatTemplate t = ChatTemplate.load(dir);
    String rendered = "<|endoftext|>us: 12\na: 3\nus: 45\na:";
    assertThat(t.render(CHAT, true)).isEqualTo(rendered);
    try (LanguageModel lm = LanguageModel.load(dir)) {
      String prompt = t.prompt(CHAT, lm);
      assertThat(prompt).isEqualTo(rendered.substring("<|endoftext|>".length()));
      int[] ids = lm.encode(prompt);
      assertThat(ids[0]).isZero();
      assertThat(ids[1]).isNotZero();
      assertThat(bosCount(ids)).isOne();
      // Encoding the rendered text as it is would give two: the case prompt() exists for.
      assertThat(lm.encode(rendered)).startsWith(0, 0);
    }
  }

  @Test
  void aTokenizerThatAddsNothingKeepsTheTemplatesBos() {
    ChatTemplate t = ChatTemplate.load(dir);
    try (LanguageModel lm = LanguageModel.load(dir, ModelOptions.cpu().withSpecialTokens(false))) {
      String prompt = t.prompt(CHAT, lm);
      assertThat(prompt).isEqualTo(t.render(CHAT, true));
      int[] ids = lm.encode(prompt);
      assertThat(ids[0]).isZero();
      assertThat(bosCount(ids)).isOne();
    }
    // The zoo's own tiny GPT-2 has no post-processor: it adds no BOS, so the template's stays.
    try (LanguageModel plainGpt2 = LanguageModel.load(Zoo.model("tiny-gpt2"))) {
      assertThat(t.prompt(CHAT, plainGpt2)).isEqualTo(t.render(CHAT, true));
      assertThat(bosCount(plainGpt2.encode(t.prompt(CHAT, plainGpt2)))).isOne();
    }
  }

  private static long bosCount(int[] ids) {
    return java.util.Arrays.stream(ids).filter(id -> id == 0).count();
  }
}
