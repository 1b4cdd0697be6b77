package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
