package chatworker.model;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Turns what an OpenAI-compatible server says when it fails into short sentences that carry no secret,
 * and reads its {@code Retry-After}.
 */
final class OpenAiErrors {

  /** Longest server message quoted in a {@link ModelException}. */
  static final int MAX_MESSAGE_CHARS = 300;
  /** Bytes of an error body read at most; the rest is discarded. */
  static final int MAX_BODY_BYTES = 16 * 1024;

  private OpenAiErrors() {}

  /**
   * The message of an error body: {@code error.message} (OpenAI, vLLM), {@code error} as a string
   * (Ollama), {@code message} or {@code detail}; else the body itself as text.
   */
  static String message(Buffer body) {
    String text = body.toString();
    try {
      if (Json.decodeValue(text) instanceof JsonObject json) {
        String message = message(json);
        if (message != null) {
          return message;
        }
      }
    } catch (DecodeException e) {
      // not JSON: quote the text
    }
    return text.isBlank() ? null : text;
  }

  /** The message of an error object, or null when it has none. */
  static String message(JsonObject json) {
    Object error = json.getValue("error");
    if (error instanceof JsonObject object && object.getValue("message") != null) {
      return String.valueOf(object.getValue("message"));
    }
    if (error instanceof String string) {
      return string;
    }
    for (String key : new String[] {"message", "detail"}) {
      if (json.getValue(key) != null) {
        return String.valueOf(json.getValue(key));
      }
    }
    return null;
  }

  /** {@code text} made fit for a message: the key replaced, whitespace collapsed, length capped. */
  static String clean(String text, String apiKey) {
    if (text == null) {
      return "no message";
    }
    String result = text;
    if (apiKey != null && !apiKey.isBlank()) {
      result = result.replace(apiKey, "[redacted]");
    }
    result = result.replaceAll("\\s+", " ").strip();
    if (result.length() > MAX_MESSAGE_CHARS) {
      result = result.substring(0, MAX_MESSAGE_CHARS) + "…";
    }
    return result;
  }

  /** The delay a {@code Retry-After} asks for in ms (seconds or an HTTP date); -1 when absent or bad. */
  static long retryAfterMs(String header) {
    if (header == null || header.isBlank()) {
      return -1;
    }
    try {
      double seconds = Double.parseDouble(header.strip());
      return seconds < 0 || Double.isNaN(seconds) ? -1 : (long) Math.min(Long.MAX_VALUE, seconds * 1000);
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(header.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
        return Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis());
      } catch (DateTimeParseException notADate) {
        return -1;
      }
    }
  }

  /** A failure's own message, or its type when it has none. */
  static String describe(Throwable failure) {
    String message = failure.getMessage();
    return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
  }
}
