package chatworker.cluster;

import chatworker.tls.PemFiles;
import chatworker.tls.TlsRejectFilter;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;

/**
 * The clustered event bus of a member (node, {@code submit}, test client), from {@link ClusterSettings}:
 * on the cluster address, any free port, and mutual TLS when {@code cluster.tls} is set.
 *
 * <p>With TLS, each member is server and client to the others with the same certificate and CA (Vert.x
 * builds the event bus's client from the same options): a member asks every peer for a certificate
 * ({@link ClientAuth#REQUIRED}) and trusts only the CA file. {@code trustAll} must be set to false
 * explicitly: {@link EventBusOptions} defaults it to true, which wins over the trust options on the
 * client side, and a node would then send to any member that shows any certificate at all.
 * Vert.x does not check host names on the event bus (it cannot be turned on), so the CA alone says who
 * is a member: it must sign this cluster's members and nothing else (docs/SECURITY.md).
 */
public final class EventBusSetup {

  private EventBusSetup() {}

  /** {@code options} with the event bus set up for {@code settings}; returns them for chaining. */
  public static VertxOptions configure(VertxOptions options, ClusterSettings settings) {
    EventBusOptions bus = options.getEventBusOptions()
        .setHost(settings.host()).setClusterPublicHost(settings.host()).setPort(0);
    PemFiles tls = settings.tls();
    if (tls != null) {
      bus.setSsl(true)
          .setClientAuth(ClientAuth.REQUIRED)
          .setTrustAll(false)
          .setKeyCertOptions(tls.keyCertOptions())
          .setTrustOptions(tls.trustOptions());
      TlsRejectFilter.install(); // counts failed handshakes, one line per member per minute
    }
    return options;
  }
}
