package chatworker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KeysTest {

  /** Verifies that the keys are the documented names (docs/STORE.md), with the id as hash tag. */
  @Test
  @DisplayName("Keys have the documented names")
  void keysHaveTheDocumentedNames() {
    assertThat(Keys.assistant("a1")).isEqualTo("cw:asst:{a1}");
    assertThat(Keys.chat("c1")).isEqualTo("cw:chat:{c1}");
    assertThat(Keys.messages("c1")).isEqualTo("cw:chat:{c1}:msgs");
    assertThat(Keys.lock("c1")).isEqualTo("cw:chat:{c1}:lock");
    assertThat(Keys.jobs("c1")).isEqualTo("cw:chat:{c1}:jobs");
    assertThat(Keys.jobExpiry("c1")).isEqualTo("cw:chat:{c1}:jobs:expiry");
    assertThat(Keys.jobIndex("j1", 7)).isEqualTo("cw:jobidx:{" + Math.floorMod("j1".hashCode(), 256) + "}:7");
  }

  /**
   * Verifies that every key of one chat (hash, messages, lock, job records) hashes to one cluster
   * slot by the hash-tag rule, so a script may touch them all on Redis Cluster.
   */
  @Test
  @DisplayName("All keys of one chat hash to one slot")
  void allKeysOfOneChatHashToOneSlot() {
    for (int i = 0; i < 200; i++) {
      String chatId = UUID.randomUUID().toString();
      List<String> keys = List.of(Keys.chat(chatId), Keys.messages(chatId), Keys.lock(chatId),
          Keys.jobs(chatId), Keys.jobExpiry(chatId));
      int slot = Slots.of(keys.get(0));
      assertThat(keys).allSatisfy(key -> assertThat(Slots.of(key)).isEqualTo(slot));
    }
  }

  /** Verifies that the slot rule used by these tests matches Redis's published CRC16 examples. */
  @Test
  @DisplayName("The test's slot rule matches Redis Cluster's")
  void theSlotRuleMatchesRedisCluster() {
    assertThat(Slots.of("123456789")).isEqualTo(0x31C3 & 0x3FFF); // CRC16/XMODEM check value 0x31C3
    assertThat(Slots.of("somekey")).isEqualTo(11058); // the CLUSTER KEYSLOT examples in Redis's docs
    assertThat(Slots.of("foo{hash_tag}")).isEqualTo(2515);
    assertThat(Slots.hashTag("foo{}{bar}")).isEqualTo("foo{}{bar}"); // an empty tag: the whole key
    assertThat(Slots.hashTag("foo{{bar}}zap")).isEqualTo("{bar");
  }

  /** Verifies that an id with a brace is refused, since it would cut the hash tag short. */
  @Test
  @DisplayName("Ids with braces or empty ids are refused")
  void idsWithBracesAreRefused() {
    assertThatThrownBy(() -> Keys.chat("a}b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Keys.jobIndex("{x", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Keys.jobs("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Keys.assistant(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
