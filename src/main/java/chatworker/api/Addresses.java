package chatworker.api;

/** The event-bus addresses of the contract (shared/CONTRACT.md, docs/API.md). */
public final class Addresses {

  public static final String ASSISTANTS_CREATE = "chat.assistants.create";
  public static final String ASSISTANTS_GET = "chat.assistants.get";
  public static final String ASSISTANTS_DELETE = "chat.assistants.delete";
  public static final String CHATS_CREATE = "chat.chats.create";
  public static final String CHATS_GET = "chat.chats.get";
  public static final String MESSAGES_CREATE = "chat.messages.create";
  public static final String MESSAGES_LIST = "chat.messages.list";
  public static final String GENERATE = "chat.generate";
  /** Published, not sent: every node hears it, the one running the job acts. */
  public static final String GENERATE_CANCEL = "chat.generate.cancel";
  public static final String JOBS_GET = "chat.jobs.get";

  private Addresses() {}
}
