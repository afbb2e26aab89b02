package dev.ponder.server.http;

/**
 * A request the server refuses, with the HTTP status and the OpenAI-style error body fields. Bad input is always
 * one of these (a 4xx naming what was expected and what was found), never a 5xx.
 */
public final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final String param;
  private final String code;

  public ApiError(int status, String type, String param, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400: a field has the wrong type or value. */
  public static ApiError invalid(String param, String message) {
    return new ApiError(400, "invalid_request_error", param, "invalid_value", message);
  }

  /** 400: a field the server does not know (a typo must not be silently ignored). */
  public static ApiError unknownField(String param, String known) {
    return new ApiError(400, "invalid_request_error", param, "unknown_parameter",
        "unrecognized request argument '" + param + "'; known: " + known);
  }

  /** 400: a field the server knows but does not implement, or a value it cannot honour. */
  public static ApiError unsupported(String param, String message) {
    return new ApiError(400, "invalid_request_error", param, "unsupported_value", message);
  }

  public static ApiError missing(String param, String expected) {
    return new ApiError(400, "invalid_request_error", param, "missing_required_parameter",
        "missing required field '" + param + "': expected " + expected);
  }

  public static ApiError modelNotFound(String model, String known) {
    return new ApiError(404, "invalid_request_error", "model", "model_not_found",
        "the model '" + model + "' does not exist; served models: " + known);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }
}
