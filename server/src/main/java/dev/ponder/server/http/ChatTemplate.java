package dev.ponder.server.http;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a Hugging Face chat template ({@code tokenizer_config.json}'s {@code chat_template}, Jinja) with Jinjava,
 * the way transformers' {@code apply_chat_template(messages, add_generation_prompt=True)} does: the variables
 * {@code messages} (each {@code {"role", "content"}}), {@code add_generation_prompt} (true), {@code bos_token} and
 * {@code eos_token} (from the same file), and the function {@code raise_exception(message)}, whose message becomes
 * the 400 a client sees. A template that fails to render is a 400 naming the error, never a silently wrong prompt.
 */
final class ChatTemplate {
  /** Thrown by the template's own raise_exception. */
  static final class TemplateRaised extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TemplateRaised(String message) {
      super(message, null, false, false);
    }
  }

  private static final Jinjava JINJAVA = create();

  private ChatTemplate() {
  }

  private static Jinjava create() {
    Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(false).withLstripBlocks(false)
        .withFailOnUnknownTokens(false).build());
    j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
        "raise", String.class));
    return j;
  }

  /** The template's raise_exception. */
  public static String raise(String message) {
    throw new TemplateRaised(message);
  }

  static String render(String template, List<ChatPrompt.Message> messages, Map<String, String> specialTokens) {
    List<Map<String, Object>> ms = new ArrayList<>();
    for (ChatPrompt.Message m : messages) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("role", m.role());
      x.put("content", m.content());
      ms.add(x);
    }
    Map<String, Object> vars = new HashMap<>(specialTokens);
    vars.put("messages", ms);
    vars.put("add_generation_prompt", true);
    RenderResult r;
    try {
      r = JINJAVA.renderForResult(template, vars);
    } catch (TemplateRaised e) {
      throw ApiError.invalid("messages", "the model's chat template refused the messages: " + e.getMessage());
    }
    for (TemplateError e : r.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        Throwable cause = e.getException();
        while (cause != null) {
          if (cause instanceof TemplateRaised raised) {
            throw ApiError.invalid("messages", "the model's chat template refused the messages: "
                + raised.getMessage());
          }
          cause = cause.getCause();
        }
        throw ApiError.unsupported("messages", "the model's chat template cannot be applied: " + e.getMessage()
            + (e.getLineno() > 0 ? " (template line " + e.getLineno() + ")" : ""));
      }
    }
    return r.getOutput();
  }
}
