package chatworker.model;

/** One message of the conversation sent to a model: role is system, user or assistant. */
public record ChatTurn(String role, String text) {}
