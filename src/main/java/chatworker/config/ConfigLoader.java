package chatworker.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Loads the node's configuration once: the JSON file ({@code conf/chat-worker.json}, or {@code --conf},
 * or {@code CHATWORKER_CONF}), then the environment variables of {@link EnvOverrides} on top.
 */
public final class ConfigLoader {

  /** Where the defaults live, relative to the working directory. */
  public static final String DEFAULT_FILE = "conf/chat-worker.json";

  private ConfigLoader() {}

  /** The file to read: the given one, else {@code CHATWORKER_CONF}, else the default. */
  public static String chooseFile(String fromCommandLine) {
    if (fromCommandLine != null && !fromCommandLine.isBlank()) {
      return fromCommandLine;
    }
    String fromEnv = System.getenv("CHATWORKER_CONF");
    return fromEnv != null && !fromEnv.isBlank() ? fromEnv : DEFAULT_FILE;
  }

  /** Reads the file and the environment; fails when the file is missing or not JSON. */
  public static Future<JsonObject> load(Vertx vertx, String file) {
    ConfigStoreOptions fileStore = new ConfigStoreOptions()
        .setType("file").setFormat("json").setOptional(false)
        .setConfig(new JsonObject().put("path", file));
    ConfigStoreOptions envStore = new ConfigStoreOptions()
        .setType("env")
        .setConfig(new JsonObject()
            .put("raw-data", true)
            .put("keys", new JsonArray(EnvOverrides.VARIABLES.keySet().stream().toList())));
    // Env is read as its own store, not merged by vertx-config: it must land at nested paths.
    ConfigRetriever fileRetriever = ConfigRetriever.create(vertx,
        new ConfigRetrieverOptions().addStore(fileStore).setScanPeriod(-1));
    ConfigRetriever envRetriever = ConfigRetriever.create(vertx,
        new ConfigRetrieverOptions().addStore(envStore).setScanPeriod(-1));
    return Future.all(fileRetriever.getConfig(), envRetriever.getConfig())
        .map(both -> EnvOverrides.apply(both.resultAt(0), both.resultAt(1)))
        .onComplete(done -> {
          fileRetriever.close();
          envRetriever.close();
        });
  }
}
