package dev.ponder.server.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own refusals (a malformed request line, URI or header, headers too large, no Host) in the API's JSON
 * error body instead of Jetty's HTML page. The message is the status reason plus Jetty's short reason when that
 * carries no exception name or path; never a stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {

  JsonErrorHandler() {
    setShowStacks(false);
  }

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
      Callback callback) {
    byte[] body = body(code, message).getBytes(StandardCharsets.UTF_8);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  static String body(int code, String message) {
    String reason = HttpStatus.getMessage(code);
    String text = safe(message) && !message.equals(reason) ? reason + ": " + message : reason;
    return Json.write(Exchange.errorBody(text, code >= 500 ? "server_error" : "invalid_request_error", null,
        code >= 500 ? "server_error" : "malformed_request"));
  }

  /** Jetty's short reasons ("Ambiguous URI path separator", "No Host") pass; anything that names internals not. */
  static boolean safe(String message) {
    return message != null && !message.isBlank() && message.length() <= 120 && !message.contains("Exception")
        && !message.contains(".java") && !message.contains("/") && !message.contains("\\")
        && message.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
  }
}
