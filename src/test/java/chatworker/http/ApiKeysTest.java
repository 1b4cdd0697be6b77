package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

  private static final String KEY_1 = "alpha-Key-91xQ";
  private static final String KEY_2 = "beta-Key-27mZ";

  /**
   * Verifies that only {@code Bearer <one of the keys>} is accepted (scheme in any case, spaces
   * around the key ignored), and nothing else: another key, a prefix of one, the key without the
   * scheme, another scheme, no header.
   */
  @Test
  @DisplayName("Only Bearer with one of the keys is accepted")
  void acceptsOnlyABearerKey() {
    ApiKeys keys = ApiKeys.parse(KEY_1 + "," + KEY_2);

    assertThat(keys.accepts("Bearer " + KEY_1)).isTrue();
    assertThat(keys.accepts("Bearer " + KEY_2)).isTrue();
    assertThat(keys.accepts("bearer  " + KEY_2 + " ")).isTrue();
    assertThat(keys.accepts("Bearer " + KEY_1.substring(0, KEY_1.length() - 1))).isFalse();
    assertThat(keys.accepts("Bearer " + KEY_1 + KEY_2)).isFalse();
    assertThat(keys.accepts(KEY_1)).isFalse();
    assertThat(keys.accepts("Basic " + KEY_1)).isFalse(); // not base64 of user:password
    assertThat(keys.accepts("Bearer ")).isFalse();
    assertThat(keys.accepts(null)).isFalse();
  }

  /**
   * Verifies that Basic credentials carry a key as their password, whatever the user name (empty,
   * or holding the key itself), and that the password may hold colons of its own.
   */
  @Test
  @DisplayName("Basic: one of the keys as the password, with any user")
  void acceptsAKeyAsTheBasicPassword() {
    ApiKeys keys = ApiKeys.parse(KEY_1 + "," + KEY_2 + ",with:colon");

    assertThat(keys.accepts(basic("console:" + KEY_1))).isTrue();
    assertThat(keys.accepts(basic(":" + KEY_2))).isTrue();
    assertThat(keys.accepts(basic("Ünïcode user:" + KEY_1))).isTrue();
    assertThat(keys.accepts("basic   " + base64("x:" + KEY_2) + " ")).isTrue();
    assertThat(keys.accepts(basic("admin:with:colon"))).isTrue();
  }

  /**
   * Verifies that Basic credentials are refused when the password is wrong, empty or absent, when
   * the key is the user name instead, and when the value is not base64 at all.
   */
  @Test
  @DisplayName("Basic: wrong, empty or missing password, key as user, malformed value: refused")
  void refusesBadBasicCredentials() {
    ApiKeys keys = ApiKeys.parse(KEY_1);

    assertThat(keys.accepts(basic("console:" + KEY_2))).isFalse();
    assertThat(keys.accepts(basic("console:" + KEY_1 + " "))).isFalse();
    assertThat(keys.accepts(basic("console:"))).isFalse();
    assertThat(keys.accepts(basic(":"))).isFalse();
    assertThat(keys.accepts(basic(KEY_1))).isFalse(); // no colon: no password
    assertThat(keys.accepts(basic(KEY_1 + ":"))).isFalse(); // the key as the user name
    assertThat(keys.accepts("Basic !!not*base64!!")).isFalse();
    assertThat(keys.accepts("Basic " + base64("console:" + KEY_1).substring(1))).isFalse();
    assertThat(keys.accepts("Basic ")).isFalse();
    assertThat(keys.accepts("Basic")).isFalse();
    assertThat(keys.accepts("Digest " + base64("console:" + KEY_1))).isFalse();
  }

  private static String basic(String credentials) {
    return "Basic " + base64(credentials);
  }

  private static String base64(String credentials) {
    return Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  /** Verifies that no keys (null, blank, empty list) accept every request, as a loopback node does. */
  @Test
  @DisplayName("Without keys every request is accepted")
  void noKeysAcceptAll() {
    for (Object none : new Object[] {null, "", " , ", new JsonArray()}) {
      ApiKeys keys = ApiKeys.parse(none);
      assertThat(keys.isEmpty()).as(String.valueOf(none)).isTrue();
      assertThat(keys.accepts(null)).isTrue();
    }
  }

  /** Verifies that toString says how many keys there are and shows none of them. */
  @Test
  @DisplayName("toString counts the keys and never shows one")
  void toStringShowsNoKey() {
    ApiKeys keys = ApiKeys.parse(new JsonArray().add(KEY_1).add(KEY_2));

    assertThat(keys.toString()).isEqualTo("2 API keys").doesNotContain(KEY_1).doesNotContain(KEY_2);
    assertThat(keys).isEqualTo(ApiKeys.parse(KEY_1 + ", " + KEY_2));
  }
}
