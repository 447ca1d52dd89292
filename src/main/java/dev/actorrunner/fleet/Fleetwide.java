package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.ddata.LWWMap;
import akka.cluster.ddata.typed.javadsl.DistributedData;
import akka.cluster.ddata.typed.javadsl.Replicator;
import akka.cluster.typed.Cluster;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.StreamSupport;

/**
 * What the {@link Coordinator} needs of its cluster: the membership, each member's agent, the
 * replicated plan and the nodes' entries. Apart from the coordinator so that its protocol is
 * tested with probes and a register in memory, without a cluster.
 */
interface Fleetwide {

    /** The membership now. */
    RollDecisions.Membership membership();

    /** The fleet agent of the up member {@code name}. */
    ActorRef<FleetNode.Command> agent(String name);

    /** The plan's register, spawned once as the coordinator's child. */
    Behavior<PlanRegister.Command> planRegister();

    /** Sends every change of the nodes' entries to {@code to}, from now on. */
    void watchEntries(ActorContext<?> context, ActorRef<Map<String, NodeEntry>> to);

    /** The wall clock, in epoch milliseconds: plans are dated by it (a test's is manual). */
    default long now() {
        return System.currentTimeMillis();
    }

    /** The fleet system's own cluster. */
    static Fleetwide of(ActorSystem<?> system) {
        ActorRefResolver resolver = ActorRefResolver.get(system);
        return new Fleetwide() {
            @Override
            public RollDecisions.Membership membership() {
                Map<String, String> up = new HashMap<>();
                upMembers().forEach((name, m) -> up.put(name, m.uniqueAddress().toString()));
                return new RollDecisions.Membership(up, Cluster.get(system).state().getUnreachable().stream()
                        .map(FleetStatus::nameOf).sorted().toList());
            }

            @Override
            public ActorRef<FleetNode.Command> agent(String name) {
                // The agent is the guardian of its node's fleet system.
                return resolver.resolveActorRef(upMembers().get(name).address() + "/user");
            }

            private Map<String, Member> upMembers() {
                Map<String, Member> up = new HashMap<>();
                StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
                        .filter(m -> m.status() == MemberStatus.up()).forEach(m -> up.put(FleetStatus.nameOf(m), m));
                return up;
            }

            @Override
            public Behavior<PlanRegister.Command> planRegister() {
                return PlanRegister.distributed();
            }

            @Override
            public void watchEntries(ActorContext<?> context, ActorRef<Map<String, NodeEntry>> to) {
                // A child of its own: one ReplicatorMessageAdapter per actor (see FleetNode).
                context.spawn(DistributedData.<Map<String, NodeEntry>, LWWMap<String, NodeEntry>>withReplicatorMessageAdapter(r -> {
                    r.subscribe(FleetNode.NODES, c -> c instanceof Replicator.Changed<LWWMap<String, NodeEntry>> ch
                            ? ch.dataValue().getEntries() : Map.of());
                    return Behaviors.receiveMessage(m -> {
                        to.tell(m);
                        return Behaviors.same();
                    });
                }), "nodes-watcher");
            }
        };
    }
}
