package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hugging Face chat templates rendered as transformers' apply_chat_template(..., add_generation_prompt=True). */
class ChatTemplateTest {
  static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' +"
      + " message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
      + "{{ '<|im_start|>assistant\\n' }}{% endif %}";
  // The shape of Llama 2's template: alternation enforced with raise_exception, bos/eos tokens, loop.index0.
  static final String LLAMA2 = "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 =="
      + " 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
      + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + message['content'] | trim + ' [/INST]' }}"
      + "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] | trim + ' ' + eos_token }}{% endif %}"
      + "{% endfor %}";
  static final Map<String, String> SPECIALS = Map.of("bos_token", "<s>", "eos_token", "</s>", "pad_token", "",
      "unk_token", "");

  static ChatPrompt.Message m(String role, String content) {
    return new ChatPrompt.Message(role, content);
  }

  @Test
  void chatMlWithTheGenerationPrompt() {
    String out = ChatPrompt.render(List.of(m("system", "Be brief."), m("user", "2+2?")), CHATML, SPECIALS);
    assertThat(out).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
        + "<|im_start|>assistant\n");
  }

  @Test
  void llamaStyleUsesTheSpecialTokensAndItsOwnChecks() {
    String out = ChatPrompt.render(List.of(m("user", " hi "), m("assistant", "hello"), m("user", "sum?")), LLAMA2,
        SPECIALS);
    assertThat(out).isEqualTo("<s>[INST] hi [/INST] hello </s><s>[INST] sum? [/INST]");
    assertThatThrownBy(() -> ChatPrompt.render(List.of(m("assistant", "x")), LLAMA2, SPECIALS))
        .isInstanceOfSatisfying(ApiError.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.param()).isEqualTo("messages");
          assertThat(e.getMessage()).contains("Conversation roles must alternate");
        });
  }

  @Test
  void aBrokenTemplateIsA400NotAWrongPrompt() {
    assertThatThrownBy(() -> ChatPrompt.render(List.of(m("user", "x")), "{% for m in messages %}{{ m['content'] }",
        SPECIALS)).isInstanceOfSatisfying(ApiError.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.getMessage()).contains("chat template cannot be applied");
        });
  }

  @Test
  void withoutATemplateTheContentsAreJoinedByNewlines() {
    assertThat(ChatPrompt.render(List.of(m("system", "a"), m("user", "b\n")), null, SPECIALS)).isEqualTo("a\nb\n");
  }
}
