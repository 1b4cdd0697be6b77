package chatworker.model;

/** A finished reply and its token usage. */
public record ModelReply(String text, int promptTokens, int completionTokens) {}
