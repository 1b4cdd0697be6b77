package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stores on a one-node Redis Cluster that serves every slot. Such a node refuses any command or
 * script whose keys span slots (CROSSSLOT) and answers CLUSTER KEYSLOT.
 */
class ClusterModeTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension(RedisServer.Options.defaults()
      .withArg("cluster-enabled", "yes"));

  @BeforeAll
  static void assignEverySlot() {
    List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
    for (int slot = 0; slot < 16384; slot++) {
      args.add(Integer.toString(slot));
    }
    redisServer.server().command(args.toArray(String[]::new));
    Await.until(() -> redisServer.server().command("CLUSTER", "INFO").contains("cluster_state:ok"),
        Duration.ofSeconds(20), "the one-node cluster to be ok");
  }

  /**
   * Verifies that every store operation runs on Redis Cluster (no CROSSSLOT), and that all keys one chat
   * left behind are on one slot by Redis's own CLUSTER KEYSLOT, which agrees with the tests' slot rule.
   */
  @Test
  @DisplayName("Every operation runs on Redis Cluster and a chat's keys share one slot")
  void everyOperationRunsOnRedisCluster() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url())) {
      String chatId = store.newChat();
      await(store.chats.appendUserMessage(chatId, "hi", null, deadline()));
      assertThat(await(store.chats.listMessages(chatId, 10, 0, deadline()))).hasSize(1);
      assertThat(await(store.chats.get(chatId, deadline()))).isNotNull();
      String token = token();
      assertThat(await(store.jobs.start(start(chatId, "job-1", token, "more"), deadline())).status())
          .isEqualTo(StartOutcome.Status.STARTED);
      assertThat(await(store.lock.renew(chatId, token, 30_000, deadline()))).isTrue();
      assertThat(await(store.jobs.commit(commit(chatId, "job-1", token, "ok"), deadline())).status())
          .isEqualTo(CommitOutcome.Status.COMMITTED);
      String second = token();
      await(store.jobs.start(start(chatId, "job-2", second, null), deadline()));
      await(store.jobs.finish(chatId, "job-2", second, "failed", null, deadline()));
      assertThat(await(store.lookup.get("job-1", deadline())).getString("status")).isEqualTo("succeeded");
      assertThat(await(store.lock.release(chatId, second, deadline()))).isFalse();

      List<String> chatKeys = allKeys().stream().filter(key -> key.startsWith("cw:chat:")).toList();
      assertThat(chatKeys).containsExactlyInAnyOrder(Keys.chat(chatId), Keys.messages(chatId),
          Keys.jobs(chatId), Keys.jobExpiry(chatId));
      int slot = keySlot(Keys.chat(chatId));
      for (String key : List.of(Keys.chat(chatId), Keys.messages(chatId), Keys.lock(chatId),
          Keys.jobs(chatId), Keys.jobExpiry(chatId))) {
        assertThat(keySlot(key)).as(key).isEqualTo(slot).isEqualTo(Slots.of(key));
      }
      assertThat(keySlot(Keys.jobIndex("job-1", 3))).isEqualTo(Slots.of(Keys.jobIndex("job-1", 3)));
    }
  }

  private int keySlot(String key) {
    return Integer.parseInt(redisServer.server().command("CLUSTER", "KEYSLOT", key));
  }

  private List<String> allKeys() {
    List<String> keys = new ArrayList<>();
    String cursor = "0";
    do {
      String[] reply = redisServer.server().command("SCAN", cursor, "COUNT", "1000").split("\n");
      cursor = reply[0];
      keys.addAll(Arrays.stream(reply).skip(1).filter(k -> !k.isEmpty()).toList());
    } while (!cursor.equals("0"));
    return keys;
  }
}
