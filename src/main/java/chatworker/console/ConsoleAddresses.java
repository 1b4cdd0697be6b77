package chatworker.console;

/**
 * The console's event-bus address: internal to the nodes, not part of the contract (docs/API.md,
 * "Internal addresses").
 */
public final class ConsoleAddresses {

  /**
   * Each node consumes {@code chat.node.status.<its nodeId>} (clustered) and answers a request of any
   * body with {@code {"status": <its /status>, "history": <its StatusHistory>}}.
   */
  public static final String NODE_STATUS_PREFIX = "chat.node.status.";

  private ConsoleAddresses() {}

  /** The address on which node {@code nodeId} answers its status. */
  public static String nodeStatus(String nodeId) {
    return NODE_STATUS_PREFIX + nodeId;
  }
}
