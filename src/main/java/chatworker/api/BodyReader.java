package chatworker.api;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Reads one request body field by field, failing with INVALID_REQUEST that names the field. Every
 * parser starts with {@link #of}, which rejects a missing body and fields the contract does not know.
 */
public final class BodyReader {

  /** Longest message text, in characters. */
  public static final int MAX_TEXT = 32_768;
  /** Largest metadata object, encoded. */
  public static final int MAX_METADATA_BYTES = 4_096;

  private final JsonObject body;
  private final String prefix;

  private BodyReader(JsonObject body, String prefix) {
    this.body = body;
    this.prefix = prefix;
  }

  /** A reader over {@code body}, which must be a JSON object holding only {@code allowed} fields. */
  public static BodyReader of(Object body, Set<String> allowed) {
    if (!(body instanceof JsonObject json)) {
      throw ApiException.invalid("body", "must be a JSON object");
    }
    for (String field : json.fieldNames()) {
      if (!allowed.contains(field)) {
        throw ApiException.invalid(field, "is not a known field");
      }
    }
    return new BodyReader(json, "");
  }

  public String requiredString(String field, int maxLength) {
    String value = optionalString(field, maxLength);
    if (value == null || value.isBlank()) {
      throw invalid(field, "is required");
    }
    return value;
  }

  public String optionalString(String field, int maxLength) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw invalid(field, "must be a string");
    }
    if (text.length() > maxLength) {
      throw invalid(field, "is longer than " + maxLength + " characters");
    }
    return text;
  }

  /** An id: 1..128 characters of [A-Za-z0-9_-]. */
  public String requiredId(String field) {
    String id = requiredString(field, 128);
    if (!isId(id)) {
      throw invalid(field, "must be 1..128 characters of A-Z a-z 0-9 _ -");
    }
    return id;
  }

  /** [A-Za-z0-9_-] only (the length is checked already); a loop, not a regex: every request has ids. */
  private static boolean isId(String id) {
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
        return false;
      }
    }
    return !id.isEmpty();
  }

  public String optionalId(String field) {
    return body.getValue(field) == null ? null : requiredId(field);
  }

  public Integer optionalInt(String field, int min, int max) {
    Long value = optionalLong(field, min, max);
    return value == null ? null : value.intValue();
  }

  public Long optionalLong(String field, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
      throw invalid(field, "must be a whole number");
    }
    long whole = number.longValue();
    if (whole < min || whole > max) {
      throw invalid(field, "must be between " + min + " and " + max);
    }
    return whole;
  }

  public boolean optionalBoolean(String field, boolean absent) {
    Object value = body.getValue(field);
    if (value == null) {
      return absent;
    }
    if (!(value instanceof Boolean flag)) {
      throw invalid(field, "must be true or false");
    }
    return flag;
  }

  public JsonObject optionalObject(String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject object)) {
      throw invalid(field, "must be a JSON object");
    }
    return object;
  }

  /** Free-form metadata: an object of at most {@link #MAX_METADATA_BYTES} bytes encoded. */
  public JsonObject optionalMetadata(String field) {
    JsonObject metadata = optionalObject(field);
    if (metadata != null && metadata.encode().length() > MAX_METADATA_BYTES) {
      throw invalid(field, "is larger than " + MAX_METADATA_BYTES + " bytes");
    }
    return metadata;
  }

  /** A reader over a nested object, which may hold only {@code allowed} fields; null when absent. */
  public BodyReader nested(String field, Set<String> allowed) {
    JsonObject object = optionalObject(field);
    if (object == null) {
      return null;
    }
    BodyReader nested = new BodyReader(object, prefix + field + ".");
    for (String name : object.fieldNames()) {
      if (!allowed.contains(name)) {
        throw nested.invalid(name, "is not a known field");
      }
    }
    return nested;
  }

  /** The object being read. */
  public JsonObject json() {
    return body;
  }

  private ApiException invalid(String field, String problem) {
    return ApiException.invalid(prefix + field, problem);
  }
}
