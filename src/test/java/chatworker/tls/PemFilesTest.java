package chatworker.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chatworker.config.EnvOverrides;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PemFilesTest {

  /** Verifies that TLS is off when the section or all of its keys are absent, null or blank. */
  @Test
  @DisplayName("No tls section, or only nulls and blanks in it: TLS off")
  void absentOrNullIsOff() {
    assertThat(PemFiles.fromJson(null, "cluster.tls", true)).isNull();
    assertThat(PemFiles.fromJson(new JsonObject(), "cluster.tls", true)).isNull();
    assertThat(PemFiles.fromJson(new JsonObject().putNull("cert").putNull("key").put("ca", " "), "cluster.tls", true))
        .isNull();
  }

  /** Verifies that the cluster's three files come together, and a partial set names what is missing. */
  @Test
  @DisplayName("Cluster: cert, key and ca together or not at all; the message names what is missing")
  void partialSetIsRefused() {
    JsonObject all = new JsonObject().put("cert", "n.pem").put("key", "n.key").put("ca", "ca.pem");
    assertThat(PemFiles.fromJson(all, "cluster.tls", true)).isEqualTo(new PemFiles("n.pem", "n.key", "ca.pem"));
    assertThatThrownBy(() -> PemFiles.fromJson(all.copy().putNull("ca"), "cluster.tls", true))
        .hasMessage("cluster.tls: cert, key, ca are set together or not at all; missing: ca");
    assertThat(PemFiles.fromJson(new JsonObject().put("cert", "h.pem").put("key", "h.key"), "http.tls", false))
        .isEqualTo(new PemFiles("h.pem", "h.key", null));
    assertThatThrownBy(() -> PemFiles.fromJson(new JsonObject().put("key", "h.key"), "http.tls", false))
        .hasMessage("http.tls: cert, key are set together or not at all; missing: cert");
  }

  /** Verifies that the environment variables land at the tls keys of their sections. */
  @Test
  @DisplayName("CHATWORKER_CLUSTER_TLS_* and CHATWORKER_HTTP_TLS_* override cluster.tls and http.tls")
  void environmentOverridesTheFiles() {
    JsonObject file = new JsonObject().put("cluster", new JsonObject().put("tls", new JsonObject().putNull("cert")));
    JsonObject merged = EnvOverrides.apply(file, new JsonObject()
        .put("CHATWORKER_CLUSTER_TLS_CERT", "/c/n.pem").put("CHATWORKER_CLUSTER_TLS_KEY", "/c/n.key")
        .put("CHATWORKER_CLUSTER_TLS_CA", "/c/ca.pem")
        .put("CHATWORKER_HTTP_TLS_CERT", "/h/h.pem").put("CHATWORKER_HTTP_TLS_KEY", "/h/h.key"));
    assertThat(PemFiles.fromJson(merged.getJsonObject("cluster").getJsonObject("tls"), "cluster.tls", true))
        .isEqualTo(new PemFiles("/c/n.pem", "/c/n.key", "/c/ca.pem"));
    assertThat(PemFiles.fromJson(merged.getJsonObject("http").getJsonObject("tls"), "http.tls", false))
        .isEqualTo(new PemFiles("/h/h.pem", "/h/h.key", null));
  }
}
