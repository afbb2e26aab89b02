package dev.ponder.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * One request and its response, written in blocking style on the request's thread: read the bounded body, answer
 * JSON, an error, plain text or an SSE stream. Remembers what the request log line needs.
 */
public final class Exchange {
  private final Request request;
  private final Response response;
  private final long maxBodyBytes;
  private int status;
  private OutputStream out;
  private String model = "-";
  private String algorithm = "-";

  /** A body read before the request was dispatched: its bytes (at most the limit plus one), or why it failed. */
  record Body(byte[] bytes, Throwable failure) {}

  private final Body preread;

  Exchange(Request request, Response response, long maxBodyBytes, Body preread) {
    this.request = request;
    this.response = response;
    this.maxBodyBytes = maxBodyBytes;
    this.preread = preread;
  }

  public Request request() {
    return request;
  }

  /** The body as UTF-8, or 413 when it is longer than the limit. */
  public String body() throws IOException {
    long declared = request.getLength();
    if (declared > maxBodyBytes) {
      throw tooLarge(declared);
    }
    byte[] bytes;
    if (preread != null) {
      Throwable f = preread.failure() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
          ? c.getCause() : preread.failure();
      if (f instanceof IOException || f instanceof HttpException) {
        throw unreadable();
      }
      if (f != null) {
        throw tooLarge(-1); // the bounded reader refuses more than the limit
      }
      bytes = preread.bytes();
    } else {
      try (InputStream in = Content.Source.asInputStream(request)) {
        bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
      } catch (IOException | HttpException.RuntimeException e) {
        throw unreadable();
      }
    }
    if (bytes.length > maxBodyBytes) {
      throw tooLarge(-1);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** A body cut short (the client closed early) or malformed chunked encoding: the client's fault, not a 500. */
  private static ApiError unreadable() {
    return new ApiError(400, "invalid_request_error", null, "unreadable_body", "the request body could not be"
        + " read to its end (cut short, or malformed chunked encoding)");
  }

  private ApiError tooLarge(long declared) {
    return new ApiError(413, "invalid_request_error", null, "request_too_large", "the request body is "
        + (declared >= 0 ? declared + " bytes" : "longer than the limit") + "; the limit is " + maxBodyBytes
        + " bytes");
  }

  /** The body as one JSON object. */
  public ObjectNode jsonBody() throws IOException {
    return Json.parseObject(body());
  }

  public void json(int code, JsonNode body) throws IOException {
    send(code, "application/json", Json.write(body));
  }

  public void text(int code, String contentType, String body) throws IOException {
    send(code, contentType, body);
  }

  public void bytes(int code, String contentType, byte[] body) throws IOException {
    status = code;
    response.setStatus(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    try (OutputStream o = Content.Sink.asOutputStream(response)) {
      o.write(body);
    }
  }

  private void send(int code, String contentType, String body) throws IOException {
    bytes(code, contentType.contains("charset") ? contentType : contentType + "; charset=utf-8",
        body.getBytes(StandardCharsets.UTF_8));
  }

  /** The OpenAI error body; 429 adds Retry-After, 401 adds WWW-Authenticate. */
  public void error(ApiError e, int retryAfterSeconds) throws IOException {
    if (e.status() == 429) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(retryAfterSeconds));
    }
    if (e.status() == 401) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
    }
    json(e.status(), errorBody(e.getMessage(), e.type(), e.param(), e.code()));
  }

  public static ObjectNode errorBody(String message, String type, String param, String code) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode err = root.putObject("error");
    err.put("message", message);
    err.put("type", type);
    if (param == null) {
      err.putNull("param");
    } else {
      err.put("param", param);
    }
    if (code == null) {
      err.putNull("code");
    } else {
      err.put("code", code);
    }
    return root;
  }

  /** Starts a 200 SSE response; events are written as they come. */
  public SseStream sse() {
    status = 200;
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Accel-Buffering", "no");
    out = Content.Sink.asOutputStream(response);
    return new SseStream(out);
  }

  /** Ends an SSE stream (the last, empty write). */
  public void finishStream() throws IOException {
    if (out != null) {
      out.close();
    }
  }

  /** Cancels the search when the client closes the connection (see {@link DisconnectWatch}). */
  DisconnectWatch watchDisconnect(Cancellation cancellation) {
    return DisconnectWatch.start(request.getConnectionMetaData().getConnection().getEndPoint(), cancellation);
  }

  /** The answer ends the connection. */
  void closeConnection() {
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
  }

  public boolean committed() {
    return response.isCommitted();
  }

  public int status() {
    return status;
  }

  void status(int value) {
    status = value;
  }

  public void tag(String modelId, String algorithmName) {
    this.model = modelId;
    this.algorithm = algorithmName;
  }

  String model() {
    return model;
  }

  String algorithm() {
    return algorithm;
  }
}
