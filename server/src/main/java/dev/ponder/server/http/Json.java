package dev.ponder.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/** The shared JSON mapper and typed field readers whose errors name the field, what it expects and what it found. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {
  }

  /** Parses a request body that must be one JSON object. */
  public static ObjectNode parseObject(String body) {
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ApiError(400, "invalid_request_error", null, "invalid_json",
          "the body is not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw ApiError.invalid(null, "the body must be a JSON object, found " + describe(node));
    }
    return (ObjectNode) node;
  }

  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }

  /** Fails on any field outside {@code known}. */
  public static void rejectUnknown(ObjectNode body, String prefix, Set<String> known) {
    Iterator<String> names = body.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!known.contains(name)) {
        throw ApiError.unknownField(prefix + name, new TreeSet<>(known).toString());
      }
    }
  }

  static boolean present(JsonNode body, String field) {
    JsonNode v = body.get(field);
    return v != null && !v.isNull();
  }

  public static String text(JsonNode body, String field, String fallback) {
    if (!present(body, field)) {
      return fallback;
    }
    JsonNode v = body.get(field);
    if (!v.isTextual()) {
      throw ApiError.invalid(field, "'" + field + "' must be a string, found " + describe(v));
    }
    return v.asText();
  }

  public static String requiredText(JsonNode body, String field) {
    String v = text(body, field, null);
    if (v == null) {
      throw ApiError.missing(field, "a string");
    }
    return v;
  }

  /** An integer in [min, max], or the fallback when absent or null. */
  public static int integer(JsonNode body, String field, int fallback, int min, int max) {
    if (!present(body, field)) {
      return fallback;
    }
    JsonNode v = body.get(field);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw ApiError.invalid(field, "'" + field + "' must be an integer in [" + min + ", " + max + "], found "
          + describe(v));
    }
    int x = v.intValue();
    if (x < min || x > max) {
      throw ApiError.invalid(field, "'" + field + "' must be in [" + min + ", " + max + "], found " + x);
    }
    return x;
  }

  public static Long optionalLong(JsonNode body, String field) {
    if (!present(body, field)) {
      return null;
    }
    JsonNode v = body.get(field);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw ApiError.invalid(field, "'" + field + "' must be a 64-bit integer, found " + describe(v));
    }
    return v.longValue();
  }

  /** A finite number in [min, max], or the fallback when absent or null. */
  public static double number(JsonNode body, String field, double fallback, double min, double max) {
    if (!present(body, field)) {
      return fallback;
    }
    JsonNode v = body.get(field);
    if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
      throw ApiError.invalid(field, "'" + field + "' must be a number in [" + min + ", " + max + "], found "
          + describe(v));
    }
    double x = v.doubleValue();
    if (x < min || x > max) {
      throw ApiError.invalid(field, "'" + field + "' must be in [" + min + ", " + max + "], found " + x);
    }
    return x;
  }

  public static boolean bool(JsonNode body, String field, boolean fallback) {
    if (!present(body, field)) {
      return fallback;
    }
    JsonNode v = body.get(field);
    if (!v.isBoolean()) {
      throw ApiError.invalid(field, "'" + field + "' must be true or false, found " + describe(v));
    }
    return v.booleanValue();
  }

  /** An object field, or null when absent. */
  public static ObjectNode object(JsonNode body, String field) {
    if (!present(body, field)) {
      return null;
    }
    JsonNode v = body.get(field);
    if (!v.isObject()) {
      throw ApiError.invalid(field, "'" + field + "' must be an object, found " + describe(v));
    }
    return (ObjectNode) v;
  }

  /** What a JSON value is, for error messages: its type and a short rendering. */
  public static String describe(JsonNode v) {
    if (v == null || v.isMissingNode()) {
      return "nothing";
    }
    if (v.isNull()) {
      return "null";
    }
    String type = v.isTextual() ? "string" : v.isIntegralNumber() ? "integer" : v.isNumber() ? "number"
        : v.isBoolean() ? "boolean" : v.isArray() ? "array" : v.isObject() ? "object" : "null";
    String shown = v.toString();
    if (shown.length() > 60) {
      shown = shown.substring(0, 57) + "...";
    }
    return type + " " + shown;
  }
}
