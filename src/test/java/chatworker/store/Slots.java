package chatworker.store;

import java.nio.charset.StandardCharsets;

/** Redis Cluster's key-to-slot rule, for tests on servers where {@code CLUSTER KEYSLOT} is off. */
final class Slots {

  private Slots() {}

  /** The slot of {@code key}: CRC16 (XMODEM) of its hash tag, or of the whole key without one, mod 16384. */
  static int of(String key) {
    return crc16(hashTag(key).getBytes(StandardCharsets.UTF_8)) & 0x3FFF;
  }

  /** What is hashed: the text between the first '{' and the next '}', when that is not empty. */
  static String hashTag(String key) {
    int open = key.indexOf('{');
    if (open >= 0) {
      int close = key.indexOf('}', open + 1);
      if (close > open + 1) {
        return key.substring(open + 1, close);
      }
    }
    return key;
  }

  private static int crc16(byte[] bytes) {
    int crc = 0;
    for (byte b : bytes) {
      crc ^= (b & 0xFF) << 8;
      for (int i = 0; i < 8; i++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
    }
    return crc & 0xFFFF;
  }
}
