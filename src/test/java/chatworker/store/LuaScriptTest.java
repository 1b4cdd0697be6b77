package chatworker.store;

import chatworker.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chatworker.testing.RedisExtension;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LuaScriptTest {

  static final List<String> SCRIPTS = List.of("message-append", "job-start", "job-commit", "job-finish",
      "lock-renew", "lock-release");

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /** Verifies that each script's SHA1 is the one Redis computes for it with SCRIPT LOAD. */
  @Test
  @DisplayName("Each script's SHA1 is the one Redis computes")
  void eachScriptsSha1IsTheOneRedisComputes() {
    for (String name : SCRIPTS) {
      LuaScript script = LuaScript.load(name);
      assertThat(redisServer.server().command("SCRIPT", "LOAD", script.source())).isEqualTo(script.sha1());
    }
  }

  /**
   * Verifies that every script starts with a comment saying what it guarantees, and never builds a key
   * name itself: every key comes in KEYS, as Redis Cluster requires.
   */
  @Test
  @DisplayName("Scripts start with their guarantee and take every key from KEYS")
  void scriptsStartWithTheirGuaranteeAndTakeEveryKeyFromKeys() {
    for (String name : SCRIPTS) {
      String source = LuaScript.load(name).source();
      assertThat(source).as(name).startsWith("-- " + name + ": ").contains("Guarantees");
      assertThat(source).as(name).doesNotContain("cw:").doesNotContain("KEYS[ARGV").doesNotContain("..KEYS")
          .doesNotContain("TIME");
    }
  }

  /**
   * Verifies that after SCRIPT FLUSH a store call still works: EVALSHA answers NOSCRIPT, the script is
   * sent in full once, and Redis has it cached again afterwards.
   */
  @Test
  @DisplayName("A flushed script cache is refilled by the first call")
  void aFlushedScriptCacheIsRefilledByTheFirstCall() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url())) {
      String chatId = store.newChat();
      LuaScript append = LuaScript.load("message-append");
      redisServer.server().command("SCRIPT", "FLUSH");
      assertThat(redisServer.server().command("SCRIPT", "EXISTS", append.sha1())).isEqualTo("0");

      AppendOutcome first = Await.await(store.chats.appendUserMessage(chatId, "one", null,
          StoreHarness.deadline()));
      assertThat(first.status()).isEqualTo(AppendOutcome.Status.APPENDED);
      assertThat(redisServer.server().command("SCRIPT", "EXISTS", append.sha1())).isEqualTo("1");
      AppendOutcome second = Await.await(store.chats.appendUserMessage(chatId, "two", null,
          StoreHarness.deadline()));
      assertThat(second.message().getLong("seq")).isEqualTo(2L); // ran once per call, not twice
    }
  }

  /** Verifies that a script that is not on the class path fails at once, naming the resource. */
  @Test
  @DisplayName("A missing script fails when it is loaded")
  void aMissingScriptFailsWhenLoaded() {
    assertThatThrownBy(() -> LuaScript.load("no-such-script"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("lua/no-such-script.lua");
  }
}
