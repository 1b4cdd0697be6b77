package chatworker;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The package direction of the design (docs/ARCHITECTURE.md): {@code cli} wires everything;
 * {@code status}, {@code chats} and {@code generation} use {@code store}, which alone uses {@code redis};
 * {@code http}, the HTTP API under {@code status}, is a gateway to the event bus: {@code api} only;
 * {@code generation} uses {@code model}; {@code api} (the contract) is used above the store and uses
 * nothing of ours; {@code time} (deadlines) is used by all; {@code console} (the page's routes and the
 * cluster-wide status gathered over the bus) is mounted by {@code status} and uses nothing of ours;
 * {@code tls} (PEM files, their checks at start, the rejected-handshake log) serves the event bus, the
 * HTTP port and the wiring, and uses nothing of ours. A class that imports against it fails here.
 */
class ArchitectureTest {

  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("chatworker");
  }

  /** Verifies that every package is used only by the packages above it, and siblings not at all. */
  @Test
  @DisplayName("Packages depend one way: cli → status, chats, generation → store → redis")
  void packagesDependOneWay() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("cli").definedBy("chatworker.cli..")
        .layer("status").definedBy("chatworker.status..")
        .layer("console").definedBy("chatworker.console..")
        .layer("chats").definedBy("chatworker.chats..")
        .layer("generation").definedBy("chatworker.generation..")
        .layer("cluster").definedBy("chatworker.cluster..")
        .layer("config").definedBy("chatworker.config..")
        .layer("model").definedBy("chatworker.model..")
        .layer("store").definedBy("chatworker.store..")
        .layer("redis").definedBy("chatworker.redis..")
        .layer("http").definedBy("chatworker.http..")
        .layer("api").definedBy("chatworker.api..")
        .layer("time").definedBy("chatworker.time..")
        .layer("tls").definedBy("chatworker.tls..")
        .whereLayer("cli").mayNotBeAccessedByAnyLayer()
        .whereLayer("status").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("chats").mayOnlyBeAccessedByLayers("cli")
        // status serves the console's routes and answers its status requests on the bus
        .whereLayer("console").mayOnlyBeAccessedByLayers("cli", "status")
        // the HTTP port is status's server; the API on it reaches the cluster by the event bus only
        .whereLayer("http").mayOnlyBeAccessedByLayers("cli", "status")
        // status reads the node's job counters; chats, its sibling, never sees generation
        .whereLayer("generation").mayOnlyBeAccessedByLayers("cli", "status")
        .whereLayer("cluster").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("config").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("model").mayOnlyBeAccessedByLayers("cli", "generation")
        .whereLayer("store").mayOnlyBeAccessedByLayers("cli", "status", "chats", "generation")
        // status shows the Redis layer's health (breaker, pings, failures by kind)
        .whereLayer("redis").mayOnlyBeAccessedByLayers("cli", "status", "store")
        .whereLayer("api").mayOnlyBeAccessedByLayers("cli", "status", "chats", "generation", "http")
        .whereLayer("tls").mayOnlyBeAccessedByLayers("cli", "cluster", "http")
        .check(main);
  }

  /** Verifies that Redis commands are built in the store (and sent by the Redis layer) only. */
  @Test
  @DisplayName("Only store and redis use the Redis client")
  void onlyTheStoreBuildsRedisCommands() {
    noClasses().that().resideOutsideOfPackages("chatworker.store..", "chatworker.redis..")
        .should().dependOnClassesThat().resideInAPackage("io.vertx.redis.client..")
        .check(main);
  }

  /** Verifies that the store and the Redis layer know nothing of the event bus. */
  @Test
  @DisplayName("store and redis never touch the event bus")
  void storeKnowsNothingOfTheEventBus() {
    noClasses().that().resideInAnyPackage("chatworker.store..", "chatworker.redis..")
        .should().dependOnClassesThat().resideInAPackage("io.vertx.core.eventbus..")
        .check(main);
  }
}
