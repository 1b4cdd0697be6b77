package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
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
    assertThat(keys.accepts("Basic " + KEY_1)).isFalse();
    assertThat(keys.accepts("Bearer ")).isFalse();
    assertThat(keys.accepts(null)).isFalse();
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
