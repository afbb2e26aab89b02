package dev.ponder.chat;

import static dev.ponder.chat.ChatMessage.assistant;
import static dev.ponder.chat.ChatMessage.system;
import static dev.ponder.chat.ChatMessage.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real models' chat templates rendered as transformers' apply_chat_template renders them (expected strings written
 * from the templates' Jinja semantics: trim_blocks, lstrip_blocks, Python's str.strip()).
 */
class ChatTemplateTest {
  static final Map<String, String> LLAMA_TOKENS = Map.of("bos_token", "<s>", "eos_token", "</s>");

  // Qwen2's template (ChatML, with a default system message).
  static final String QWEN2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
      + "{{ '<|im_start|>system\\nYou are a helpful assistant<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' +"
      + " message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if"
      + " add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  // Llama 2 chat's template: system prompt folded into the first user turn, alternation checked with
  // raise_exception, list slicing, Python's .strip(), BOS before every user turn.
  static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
      + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
      + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
      + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must"
      + " alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message !="
      + " false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
      + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
      + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
      + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

  // Zephyr's template, written over several lines: right only with trim_blocks (no stray newlines).
  static final String ZEPHYR = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
      + "{{ '<|user|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
      + "{{ '<|system|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
      + "{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif %}\n"
      + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

  @Test
  void chatMlAddsItsDefaultSystemMessageAndTheGenerationPrompt() {
    ChatTemplate t = ChatTemplate.of("qwen2", QWEN2, Map.of("eos_token", "<|im_end|>"));
    assertThat(t.render(List.of(user("2+2?")), true)).isEqualTo("<|im_start|>system\nYou are a helpful"
        + " assistant<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n");
    assertThat(t.render(List.of(system("Be brief."), user("2+2?")), false)).isEqualTo(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n");
  }

  @Test
  void llama2FoldsTheSystemPromptAndStripsContents() {
    ChatTemplate t = ChatTemplate.of("llama-2-chat", LLAMA2, LLAMA_TOKENS);
    assertThat(t.render(List.of(system("Be brief."), user(" hi "), assistant("hello "), user("sum?")), true))
        .isEqualTo("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n hi [/INST] hello </s><s>[INST] sum? [/INST]");
    // strip() trims the folded content's ends only: the user's leading space stays after the system block.
  }

  @Test
  void aTemplateThatRefusesTheMessagesSaysWhichTemplateAndWhy() {
    ChatTemplate t = ChatTemplate.of("llama-2-chat", LLAMA2, LLAMA_TOKENS);
    assertThatThrownBy(() -> t.render(List.of(assistant("x")), true))
        .isInstanceOfSatisfying(ChatTemplateException.class, e -> {
          assertThat(e.refusedByTemplate()).isTrue();
          assertThat(e.template()).isEqualTo("llama-2-chat");
          assertThat(e.reason()).isEqualTo("Conversation roles must alternate user/assistant/user/assistant/...");
          assertThat(e.getMessage()).isEqualTo("the chat template llama-2-chat refused the messages: "
              + "Conversation roles must alternate user/assistant/user/assistant/...");
        });
  }

  @Test
  void multiLineTemplatesLeaveNoBlankLinesAsTransformersTrimsBlocks() {
    ChatTemplate t = ChatTemplate.of("zephyr", ZEPHYR, Map.of("eos_token", "</s>"));
    assertThat(t.render(List.of(system("Be brief."), user("hi")), true))
        .isEqualTo("<|system|>\nBe brief.</s>\n<|user|>\nhi</s>\n<|assistant|>\n");
  }

  @Test
  void onlyIndentationBeforeABlockTagIsStrippedAsJinjaDoes() {
    String indented = "{% for m in messages %}\n  {% if m['role'] == 'user' %}\nuser: {% if true %}{{ m['content'] }}"
        + "{% endif %}\n  {%+ if true %}!{% endif %}\n  {% endif %}\n{% endfor %}";
    assertThat(ChatTemplate.of("indented", indented, Map.of()).render(List.of(user("hi")), true))
        .isEqualTo("user: hi  !");
  }

  @Test
  void aBrokenTemplateNamesTheTemplateAndTheReason(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("tokenizer_config.json"),
        "{\"chat_template\": \"{% for m in messages %}{{ m['content'] }\"}");
    ChatTemplate t = ChatTemplate.load(dir);
    assertThatThrownBy(() -> t.render(List.of(user("x")), true))
        .isInstanceOfSatisfying(ChatTemplateException.class, e -> {
          assertThat(e.refusedByTemplate()).isFalse();
          assertThat(e.template()).isEqualTo(dir.resolve("tokenizer_config.json").toString());
          assertThat(e.getMessage()).startsWith("the chat template " + dir.resolve("tokenizer_config.json")
              + " cannot be applied: ").contains("endfor");
        });
  }

  @Test
  void withoutATemplateTheContentsAreJoinedByNewlines(@TempDir Path dir) throws Exception {
    ChatTemplate none = ChatTemplate.load(dir);
    assertThat(none.isPlain()).isTrue();
    assertThat(none.render(List.of(system("a"), user("b\n")), true)).isEqualTo("a\nb\n");
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
    assertThat(ChatTemplate.load(dir).isPlain()).isTrue();
  }

  @Test
  void specialTokensAreReadFromTheConfigAsStringsOrAddedTokens(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ bos_token }}|{{ eos_token }}"
        + "|{{ pad_token }}\", \"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\"}");
    ChatTemplate t = ChatTemplate.load(dir);
    assertThat(t.isPlain()).isFalse();
    assertThat(t.render(List.of(user("x")), true)).isEqualTo("<s>|</s>|");
  }

  @Test
  void namedTemplatesAndBadJsonAreRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(config, "{\"chat_template\": [{\"name\": \"default\", \"template\": \"x\"}]}");
    assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(config + ": expected \"chat_template\" to be one template string, found array")
        .hasMessageContaining("named templates are not supported");
    Files.writeString(config, "{\"chat_template\": ");
    assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(config + ": expected JSON");
  }
}
