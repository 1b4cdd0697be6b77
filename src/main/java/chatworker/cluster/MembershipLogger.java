package chatworker.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs members joining and leaving, through Hazelcast's own listener: Vert.x holds the single
 * NodeListener slot of its cluster manager for itself.
 */
final class MembershipLogger implements MembershipListener {

  private static final Logger log = LoggerFactory.getLogger(MembershipLogger.class);

  @Override
  public void memberAdded(MembershipEvent event) {
    log.info("cluster member joined: {} ({} members)", describe(event.getMember()), event.getMembers().size());
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    log.warn("cluster member left: {} ({} members)", describe(event.getMember()), event.getMembers().size());
  }

  private static String describe(Member member) {
    String nodeId = member.getAttribute("__vertx.nodeId");
    return member.getAddress() + (member.isLiteMember() ? " lite" : "") + (nodeId == null ? "" : " node=" + nodeId);
  }
}
