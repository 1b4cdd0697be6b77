package chatworker.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Takes this node out of the event bus's routing while its consumers still serve: removes the node's
 * registrations for the given addresses from the cluster's registry, and nothing else.
 *
 * <p>Why, at a graceful stop: a consumer's {@code unregister()} removes the local handler at once and
 * the cluster's record of it a moment later, and every other member learns of that later still (an
 * event, throttled). Whatever a member sends to this node in between finds no handler, and the
 * clustered event bus drops it without an answer (Vert.x 5.0.7 {@code ClusteredEventBus}: the result
 * of {@code deliverMessageLocally} is ignored for a message from the wire): the sender waits for its
 * whole send timeout. Withdrawn first, with the handlers still in place for a grace period, the
 * members stop sending here while what is already on its way is still served; the consumers'
 * own unregistering then finds nothing left to remove in the cluster.
 */
public final class RouteWithdrawal {

  private RouteWithdrawal() {}

  /** Removes this node's cluster registrations of {@code addresses}; completes with how many there were. */
  public static Future<Integer> withdraw(ClusterManager clusterManager, Collection<String> addresses) {
    String self = clusterManager.getNodeId();
    List<Future<Integer>> perAddress = new ArrayList<>();
    for (String address : addresses) {
      Promise<List<RegistrationInfo>> registrations = Promise.promise();
      clusterManager.getRegistrations(address, registrations);
      perAddress.add(registrations.future().compose(all -> {
        List<Future<Void>> removals = new ArrayList<>();
        for (RegistrationInfo info : all) {
          if (self.equals(info.nodeId()) && !info.localOnly()) {
            Promise<Void> removed = Promise.promise();
            clusterManager.removeRegistration(address, info, removed);
            removals.add(removed.future());
          }
        }
        return Future.all(removals).map(done -> removals.size());
      }));
    }
    return Future.all(perAddress).map(done -> perAddress.stream().mapToInt(Future::result).sum());
  }
}
