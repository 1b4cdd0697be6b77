package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HttpSettingsTest {

  /** Verifies that conf/chat-worker.json's http section holds exactly the defaults of the code. */
  @Test
  @DisplayName("the shipped http section is the code's defaults")
  void shippedFileHoldsTheDefaults() throws Exception {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf", "chat-worker.json")));
    assertThat(HttpSettings.fromJson(shipped.getJsonObject("http")))
        .isEqualTo(HttpSettings.fromJson(new JsonObject()))
        .isEqualTo(new HttpSettings(HttpSettings.DEFAULT_HOST, HttpSettings.DEFAULT_PORT));
  }

  /** Verifies that a port outside 0..65535 or an empty host is refused with the key's name. */
  @Test
  @DisplayName("a bad port or an empty host is refused, naming the key")
  void badValuesAreRefused() {
    assertThatThrownBy(() -> HttpSettings.fromJson(new JsonObject().put("port", 70_000)))
        .hasMessageContaining("http.port");
    assertThatThrownBy(() -> HttpSettings.fromJson(new JsonObject().put("host", " ")))
        .hasMessageContaining("http.host");
    assertThat(HttpSettings.fromJson(new JsonObject().put("port", 0)).describe()).isEqualTo("HTTP port 0 on 127.0.0.1");
  }

  /**
   * Verifies that without API keys a host other than loopback is refused with a message that names
   * CHATWORKER_API_KEYS, while loopback addresses are accepted.
   */
  @Test
  @DisplayName("Without keys, 0.0.0.0 is refused naming CHATWORKER_API_KEYS; loopback is fine")
  void nonLoopbackHostNeedsKeys() {
    for (String host : List.of("0.0.0.0", "192.168.1.10", "::", "example.com")) {
      assertThatThrownBy(() -> HttpSettings.fromJson(new JsonObject().put("host", host)))
          .as(host).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("CHATWORKER_API_KEYS").hasMessageContaining(host);
    }
    for (String host : List.of("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost")) {
      assertThat(HttpSettings.fromJson(new JsonObject().put("host", host)).host()).isEqualTo(host);
    }
  }

  /**
   * Verifies that with keys, as a JSON array or a comma-separated string (as CHATWORKER_API_KEYS
   * gives them), 0.0.0.0 is accepted, and that the settings never print a key.
   */
  @Test
  @DisplayName("With keys, 0.0.0.0 is accepted; the settings print no key")
  void nonLoopbackHostWithKeysIsAccepted() {
    HttpSettings fromArray = HttpSettings.fromJson(new JsonObject().put("host", "0.0.0.0")
        .put("apiKeys", new JsonArray().add("key-alpha-1").add("key-beta-2")));
    HttpSettings fromString = HttpSettings.fromJson(new JsonObject().put("host", "0.0.0.0")
        .put("apiKeys", " key-alpha-1, key-beta-2 ,"));

    assertThat(fromArray.apiKeys().isEmpty()).isFalse();
    assertThat(fromString).isEqualTo(fromArray);
    assertThat(fromArray.toString()).doesNotContain("key-alpha-1").doesNotContain("key-beta-2");
  }

  /** Verifies that blank keys count as none: the loopback rule still holds. */
  @Test
  @DisplayName("Blank keys are no keys: 0.0.0.0 is still refused")
  void blankKeysAreNoKeys() {
    JsonObject blankKeys = new JsonObject().put("host", "0.0.0.0").put("apiKeys", " , ");
    assertThatThrownBy(() -> HttpSettings.fromJson(blankKeys)).hasMessageContaining("CHATWORKER_API_KEYS");
  }
}
