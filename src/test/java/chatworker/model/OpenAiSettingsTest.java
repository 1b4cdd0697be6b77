package chatworker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OpenAiSettingsTest {

  /** Verifies that an empty section gives the documented defaults. */
  @Test
  @DisplayName("An empty models.openai section gives the documented defaults")
  void hasDefaults() {
    OpenAiSettings settings = OpenAiSettings.fromJson(new JsonObject().putNull("apiKey"));
    assertThat(settings).isEqualTo(new OpenAiSettings("https://api.openai.com/v1", null, 5000, 30000, null, 2,
        200, 2000, 128));
    assertThat(settings.tls()).isTrue();
    assertThat(settings.authority()).isEqualTo("api.openai.com:443");
    assertThat(settings.hasApiKey()).isFalse();
    assertThat(OpenAiSettings.fromJson(null)).isEqualTo(settings);
  }

  /** Verifies that every key is read and a trailing slash of the base URL is dropped. */
  @Test
  @DisplayName("Every key is read; the base URL loses its trailing slash")
  void readsEveryKey() {
    OpenAiSettings settings = OpenAiSettings.fromJson(new JsonObject()
        .put("baseUrl", "http://127.0.0.1:8000/v1/").put("apiKey", "k")
        .put("connectTimeoutMs", 1).put("idleTimeoutMs", 2).put("firstTokenTimeoutMs", 3)
        .put("maxRetries", 4).put("retryInitialDelayMs", 5).put("retryMaxDelayMs", 6)
        .put("maxConnections", 7));
    assertThat(settings).isEqualTo(new OpenAiSettings("http://127.0.0.1:8000/v1", "k", 1, 2, 3L, 4, 5, 6, 7));
    assertThat(settings.chatCompletionsUrl()).isEqualTo("http://127.0.0.1:8000/v1/chat/completions");
    assertThat(settings.authority()).isEqualTo("127.0.0.1:8000");
    assertThat(settings.tls()).isFalse();
  }

  /** Verifies that toString shows whether a key is set, never the key. */
  @Test
  @DisplayName("toString never prints the API key")
  void hidesTheKey() {
    String text = OpenAiSettings.defaults("http://localhost:11434/v1", "sk-very-secret").toString();
    assertThat(text).doesNotContain("sk-very-secret").contains("apiKey=<set>", "localhost:11434");
  }

  /** Verifies that bad values are refused with the key they concern. */
  @Test
  @DisplayName("Bad values are refused, naming the key")
  void refusesBadValues() {
    assertThatThrownBy(() -> OpenAiSettings.defaults("ftp://x/v1", null)).hasMessageContaining("baseUrl");
    assertThatThrownBy(() -> OpenAiSettings.fromJson(new JsonObject().put("idleTimeoutMs", "soon")))
        .hasMessageContaining("idleTimeoutMs");
    assertThatThrownBy(() -> OpenAiSettings.fromJson(new JsonObject().put("retryMaxDelayMs", 10)))
        .hasMessageContaining("retry");
    assertThatThrownBy(() -> OpenAiSettings.fromJson(new JsonObject().put("maxRetries", -1)))
        .hasMessageContaining("maxRetries");
  }

  /**
   * Verifies that the settings count as configured with an API key or with a server other than the
   * default, and not with the defaults alone (the public API without a key), even with a blank key.
   */
  @Test
  @DisplayName("configured: a key or another server; not the defaults alone")
  void configuredNeedsAKeyOrAnotherServer() {
    assertThat(OpenAiSettings.fromJson(new JsonObject()).configured()).isFalse();
    assertThat(OpenAiSettings.defaults("https://api.openai.com/v1/", " ").configured()).isFalse();
    assertThat(OpenAiSettings.defaults("https://api.openai.com/v1", "sk-x").configured()).isTrue();
    assertThat(OpenAiSettings.defaults("http://127.0.0.1:11434/v1", null).configured()).isTrue();
  }
}
