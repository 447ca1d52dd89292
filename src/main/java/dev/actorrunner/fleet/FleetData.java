package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ddata.ReplicatedData;
import akka.cluster.ddata.ReplicatorSettings;
import akka.cluster.ddata.SelfUniqueAddress;
import akka.cluster.ddata.typed.javadsl.DistributedData;
import akka.cluster.ddata.typed.javadsl.Replicator;
import akka.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import akka.cluster.typed.Cluster;
import java.time.Duration;
import java.util.function.Function;

/**
 * The replicator that holds the fleet's Distributed Data (the nodes' entries and the plan). In the
 * fleet's own system every member is a runner: Akka's default replicator. In a host's cluster
 * (members with the {@link FleetConfig#FLEET_ROLE} role, which {@link FleetConfig#embedded} adds) a
 * replicator of the fleet's own, limited to that role: the plan's majority is then a majority of the
 * runners, not of the host's members (some of which may run no runner, nor any replicator), and the
 * host's own Distributed Data, whatever role it gives it, is left alone.
 */
final class FleetData implements Extension {
    /** The replicator's name, the same on every node: replicators find each other by path. */
    static final String NAME = "actor-runner-fleet-ddata";
    /** As Akka's {@code DistributedData.withReplicatorMessageAdapter} (its config's default). */
    private static final Duration UNEXPECTED_ASK_TIMEOUT = Duration.ofSeconds(20);

    private static final ExtensionId<FleetData> ID = new ExtensionId<>() {
        @Override
        public FleetData createExtension(ActorSystem<?> system) {
            return new FleetData(system);
        }
    };

    static FleetData get(ActorSystem<?> system) {
        return system.registerExtension(ID);
    }

    private final ActorRef<Replicator.Command> replicator;
    private final SelfUniqueAddress self;

    private FleetData(ActorSystem<?> system) {
        var member = Cluster.get(system).selfMember();
        self = new SelfUniqueAddress(member.uniqueAddress());
        if (member.getRoles().contains(FleetConfig.FLEET_ROLE)) {
            ReplicatorSettings settings = akka.cluster.ddata.typed.javadsl.ReplicatorSettings.create(system).withRole(FleetConfig.FLEET_ROLE);
            replicator = system.systemActorOf(Replicator.behavior(settings), NAME, Props.empty());
        } else {
            replicator = DistributedData.get(system).replicator();
        }
    }

    SelfUniqueAddress selfUniqueAddress() {
        return self;
    }

    /** As {@code DistributedData.withReplicatorMessageAdapter}, with the fleet's replicator. */
    static <A, B extends ReplicatedData> Behavior<A> withReplicatorMessageAdapter(
            Function<ReplicatorMessageAdapter<A, B>, Behavior<A>> factory) {
        return Behaviors.setup(context -> factory.apply(
                new ReplicatorMessageAdapter<>(context, get(context.getSystem()).replicator, UNEXPECTED_ASK_TIMEOUT)));
    }
}
