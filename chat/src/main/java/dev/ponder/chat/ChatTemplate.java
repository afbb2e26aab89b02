package dev.ponder.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's chat template: turns a conversation into the prompt text the model was trained on, as transformers'
 * {@code tokenizer.apply_chat_template(messages, add_generation_prompt=...)} does.
 *
 * <p>{@link #load(Path)} reads {@code tokenizer_config.json}'s {@code chat_template} (Jinja, rendered with Jinjava,
 * with transformers' {@code trim_blocks} and {@code lstrip_blocks}) and its special tokens. The template sees
 * {@code messages} (each {@code {"role", "content"}}), {@code add_generation_prompt}, {@code bos_token},
 * {@code eos_token}, {@code pad_token}, {@code unk_token} (empty when the file has none) and the function
 * {@code raise_exception(message)}. A model without a template gets the <b>plain format</b>: the messages' contents
 * in order, each followed by a newline unless it already ends with one, roles not written (right for base models
 * that continue a text).
 *
 * <p>Special tokens: a rendered template usually begins with the BOS token, and a Llama-family tokenizer adds one
 * too when it encodes a prompt (as {@link LanguageModel#encode} does by default). {@link #prompt} removes the
 * template's copy when the model's tokenizer adds it itself, so the model sees one BOS, as it does after
 * transformers' {@code apply_chat_template(..., tokenize=True)}. {@link #render} returns the text exactly as the
 * template writes it ({@code tokenize=False}).
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatTemplate {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "pad_token", "unk_token");
  private static final Jinjava JINJAVA = jinjava();
  /** Jinja's lstrip_blocks: spaces and tabs between a line's start and a block or comment tag (not {%+ or {%-). */
  private static final java.util.regex.Pattern LINE_INDENT_BEFORE_BLOCK =
      java.util.regex.Pattern.compile("(?m)^[ \\t]+(?=\\{[%#](?![+-]))");

  private final String name;
  private final String template;
  private final Map<String, String> specialTokens;

  private ChatTemplate(String name, String template, Map<String, String> specialTokens) {
    this.name = name;
    this.template = template;
    Map<String, String> tokens = new LinkedHashMap<>();
    for (String t : SPECIAL_TOKENS) {
      tokens.put(t, specialTokens.getOrDefault(t, ""));
    }
    this.specialTokens = Map.copyOf(tokens);
  }

  /**
   * The template in {@code modelDir/tokenizer_config.json}, or the plain format when the file or its
   * {@code chat_template} is missing.
   *
   * @throws IllegalArgumentException when the file is not JSON, or {@code chat_template} is not one string (named
   *                                  templates, a list, are not supported)
   */
  public static ChatTemplate load(Path modelDir) {
    return load(ModelSource.directory(modelDir));
  }

  /** {@link #load(Path)} from any model source (a directory, the classpath, a URL). */
  public static ChatTemplate load(ModelSource source) {
    Objects.requireNonNull(source, "source");
    String file = "tokenizer_config.json";
    String name = source.describe(file);
    Optional<byte[]> bytes = source.readIfPresent(file);
    if (bytes.isEmpty()) {
      return plain();
    }
    JsonNode config;
    try {
      config = JSON.readTree(bytes.get());
    } catch (IOException e) {
      throw new IllegalArgumentException(name + ": expected JSON, " + e.getMessage(), e);
    }
    if (config == null || !config.isObject()) {
      throw new IllegalArgumentException(name + ": expected a JSON object, found " + describe(config));
    }
    JsonNode node = config.get("chat_template");
    if (node == null || node.isNull()) {
      return plain();
    }
    if (!node.isTextual()) {
      throw new IllegalArgumentException(name + ": expected \"chat_template\" to be one template string, found "
          + describe(node) + " (named templates are not supported)");
    }
    Map<String, String> tokens = new HashMap<>();
    for (String t : SPECIAL_TOKENS) {
      JsonNode v = config.get(t);
      // A token is a string or an AddedToken object ({"content": ..., "lstrip": ...}).
      tokens.put(t, v == null || v.isNull() ? "" : v.isTextual() ? v.asText() : v.path("content").asText(""));
    }
    return new ChatTemplate(name, node.asText(), tokens);
  }

  /**
   * A template given as text; {@code name} says where it came from in error messages; {@code specialTokens} maps
   * {@code bos_token}, {@code eos_token}, ... to their text (missing ones are empty).
   */
  public static ChatTemplate of(String name, String template, Map<String, String> specialTokens) {
    return new ChatTemplate(Objects.requireNonNull(name, "name"), Objects.requireNonNull(template, "template"),
        Objects.requireNonNull(specialTokens, "specialTokens"));
  }

  /** The plain format: contents joined, each ending with a newline. */
  public static ChatTemplate plain() {
    return new ChatTemplate("(plain format)", null, Map.of());
  }

  /** Whether this is the plain format (the model has no chat template). */
  public boolean isPlain() {
    return template == null;
  }

  /** Where the template came from. */
  public String name() {
    return name;
  }

  /** {@code bos_token}, {@code eos_token}, {@code pad_token}, {@code unk_token} as the template sees them. */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /**
   * The conversation as the template writes it (transformers' {@code apply_chat_template(messages,
   * add_generation_prompt=addGenerationPrompt, tokenize=False)}); for a model, use {@link #prompt}.
   *
   * @param addGenerationPrompt end with the header that opens the assistant's turn (ignored by the plain format)
   * @throws ChatTemplateException naming the template and the reason when it cannot be applied
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    Objects.requireNonNull(messages, "messages");
    if (template == null) {
      StringBuilder sb = new StringBuilder();
      for (ChatMessage m : messages) {
        sb.append(m.content());
        if (!m.content().endsWith("\n")) {
          sb.append('\n');
        }
      }
      return sb.toString();
    }
    List<Map<String, Object>> ms = new ArrayList<>();
    for (ChatMessage m : messages) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("role", m.role());
      x.put("content", m.content());
      ms.add(x);
    }
    Map<String, Object> vars = new HashMap<>(specialTokens);
    vars.put("messages", ms);
    vars.put("add_generation_prompt", addGenerationPrompt);
    RenderResult r;
    try {
      r = JINJAVA.renderForResult(LINE_INDENT_BEFORE_BLOCK.matcher(template).replaceAll(""), vars);
    } catch (Raised e) {
      throw new ChatTemplateException(name, e.getMessage(), true);
    } catch (RuntimeException e) {
      throw new ChatTemplateException(name, String.valueOf(e.getMessage()), false);
    }
    for (TemplateError e : r.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        for (Throwable c = e.getException(); c != null; c = c.getCause()) {
          if (c instanceof Raised raised) {
            throw new ChatTemplateException(name, raised.getMessage(), true);
          }
        }
        throw new ChatTemplateException(name, e.getMessage() + (e.getLineno() > 0 ? " (template line "
            + e.getLineno() + ")" : ""), false);
      }
    }
    return r.getOutput();
  }

  /**
   * The prompt for {@code policy}: the conversation with the generation prompt (the assistant's turn opened), minus
   * the template's leading BOS when {@code policy}'s tokenizer adds that BOS itself, so that
   * {@code policy.encode(prompt)} gives the ids transformers' {@code apply_chat_template(messages,
   * add_generation_prompt=True, tokenize=True)} gives: one BOS, not two.
   *
   * @throws ChatTemplateException naming the template and the reason when it cannot be applied
   */
  public String prompt(List<ChatMessage> messages, LanguageModel policy) {
    Objects.requireNonNull(policy, "policy");
    String text = render(messages, true);
    String bos = specialTokens.get("bos_token");
    if (bos.isEmpty() || !text.startsWith(bos) || !policy.tokenizer().addsSpecialTokens()) {
      return text;
    }
    String rest = text.substring(bos.length());
    if (rest.startsWith(bos)) {
      return text; // the template wrote two: leave what it wrote
    }
    int[] ids = policy.encode(rest);
    boolean tokenizerAddsBos = ids.length > 0 && policy.tokenizer().decode(new int[] {ids[0]}, false).equals(bos);
    return tokenizerAddsBos ? rest : text;
  }

  @Override
  public String toString() {
    return "ChatTemplate[" + name + "]";
  }

  private static String describe(JsonNode v) {
    return v == null ? "nothing" : v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + abbreviate(v);
  }

  private static String abbreviate(JsonNode v) {
    String s = v.toString();
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  private static Jinjava jinjava() {
    // transformers renders chat templates with trim_blocks and lstrip_blocks: a block tag's own line leaves no
    // blank line or indentation behind, which templates written over several lines rely on. Jinjava's
    // lstrip_blocks also eats spaces before a tag in the middle of a line ("user: {% if %}"), which Jinja does not,
    // so LINE_INDENT_BEFORE_BLOCK does that part instead.
    Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(false)
        .withFailOnUnknownTokens(false).build());
    j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
        "raiseException", String.class));
    return j;
  }

  /** The template's {@code raise_exception(message)}; public only because Jinjava calls it by reflection. */
  public static String raiseException(String message) {
    throw new Raised(message);
  }

  /** Thrown by the template's own raise_exception. */
  private static final class Raised extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Raised(String message) {
      super(message, null, false, false);
    }
  }
}
