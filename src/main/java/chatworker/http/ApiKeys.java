package chatworker.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The API keys a request may carry as {@code Authorization: Bearer <key>}, or as the password of
 * {@code Authorization: Basic base64(<any user>:<key>)} (a browser cannot send a Bearer header when it
 * opens a page; it sends the Basic credentials it asked its user for). Keys are kept only as
 * SHA-256 digests and compared in constant time ({@link MessageDigest#isEqual}), every key each time,
 * so neither the time taken nor an exception tells a caller how close a guess was. Nothing here prints
 * a key: {@link #toString()} says how many there are.
 */
public final class ApiKeys {

  static final ApiKeys NONE = new ApiKeys(List.of());
  private static final String BEARER = "Bearer ";
  private static final String BASIC = "Basic ";

  private final List<byte[]> digests;

  private ApiKeys(List<byte[]> digests) {
    this.digests = digests;
  }

  /** Keys from a comma-separated string or a JSON array of strings; blanks are skipped; null: none. */
  static ApiKeys parse(Object value) {
    if (value == null) {
      return NONE;
    }
    List<String> keys = value instanceof Iterable<?> list
        ? java.util.stream.StreamSupport.stream(list.spliterator(), false).map(String::valueOf).toList()
        : Arrays.asList(String.valueOf(value).split(","));
    List<byte[]> digests = keys.stream().map(String::trim).filter(k -> !k.isEmpty()).map(ApiKeys::digest).toList();
    return digests.isEmpty() ? NONE : new ApiKeys(digests);
  }

  public boolean isEmpty() {
    return digests.isEmpty();
  }

  /**
   * Whether an {@code Authorization} header value carries one of the keys (always true without keys):
   * as a Bearer token, or as the password of Basic credentials, whatever the user name. A Basic value
   * that is not base64 of {@code user:password}, or whose password is empty, carries none.
   */
  boolean accepts(String authorization) {
    if (digests.isEmpty()) {
      return true;
    }
    String offered = offeredKey(authorization);
    if (offered == null || offered.isEmpty()) {
      return false;
    }
    byte[] digest = digest(offered);
    boolean match = false;
    for (byte[] key : digests) {
      match |= MessageDigest.isEqual(key, digest);
    }
    return match;
  }

  /** The key in a Bearer or Basic header value; null when it holds none. */
  private static String offeredKey(String authorization) {
    if (authorization == null) {
      return null;
    }
    if (authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return authorization.substring(BEARER.length()).trim();
    }
    if (!authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
      return null;
    }
    String credentials;
    try {
      credentials = new String(Base64.getDecoder().decode(authorization.substring(BASIC.length()).trim()),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
    int colon = credentials.indexOf(':'); // RFC 7617: a user name holds no colon, a password may
    return colon < 0 ? null : credentials.substring(colon + 1);
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException impossible) {
      throw new IllegalStateException("every JVM has SHA-256", impossible);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ApiKeys keys && keys.digests.size() == digests.size()
        && java.util.stream.IntStream.range(0, digests.size()).allMatch(i -> Arrays.equals(digests.get(i), keys.digests.get(i)));
  }

  @Override
  public int hashCode() {
    return digests.size();
  }

  @Override
  public String toString() {
    return digests.size() + " API keys";
  }
}
