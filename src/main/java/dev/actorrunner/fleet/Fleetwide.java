package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.Address;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.ddata.LWWMap;
import akka.cluster.ddata.typed.javadsl.Replicator;
import akka.cluster.typed.Cluster;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.StreamSupport;

/**
 * What the {@link Coordinator} needs of its cluster: the membership, each member's agent, the
 * replicated plan and the nodes' entries. Apart from the coordinator so that its protocol is
 * tested with probes and a register in memory, without a cluster.
 */
interface Fleetwide {

    /** The membership now. */
    RollDecisions.Membership membership();

    /**
     * The fleet agent of the up member {@code name}; empty while it is not known yet (its
     * Receptionist registration reaches the others a moment after its membership) or gone.
     */
    Optional<ActorRef<FleetNode.Command>> agent(String name);

    /** The plan's register, spawned once as the coordinator's child. */
    Behavior<PlanRegister.Command> planRegister();

    /** Sends every change of the nodes' entries to {@code to}, from now on. */
    void watchEntries(ActorContext<?> context, ActorRef<Map<String, NodeEntry>> to);

    /** The wall clock, in epoch milliseconds: plans are dated by it (a test's is manual). */
    default long now() {
        return System.currentTimeMillis();
    }

    /**
     * The cluster of {@code context}'s system, the fleet's own or a host's. The agents are found
     * through the Receptionist ({@link FleetNode#AGENT}), by the address of the member of a name.
     */
    static Fleetwide of(ActorContext<?> context) {
        ActorSystem<?> system = context.getSystem();
        Address selfAddress = Cluster.get(system).selfMember().address();
        // Written by the watcher child, read by the coordinator: an immutable map behind a volatile field.
        AtomicReference<Map<Address, ActorRef<FleetNode.Command>>> agents = new AtomicReference<>(Map.of());
        context.spawn(Behaviors.<Receptionist.Listing>setup(watcher -> {
            system.receptionist().tell(Receptionist.subscribe(FleetNode.AGENT, watcher.getSelf()));
            return Behaviors.receiveMessage(listing -> {
                Map<Address, ActorRef<FleetNode.Command>> byAddress = new HashMap<>();
                for (ActorRef<FleetNode.Command> a : listing.getServiceInstances(FleetNode.AGENT)) {
                    Address at = a.path().address();
                    byAddress.put(at.hasLocalScope() ? selfAddress : at, a);
                }
                agents.set(Map.copyOf(byAddress));
                return Behaviors.same();
            });
        }), "agents-watcher");
        ActorRefResolver resolver = ActorRefResolver.get(system);
        return new Fleetwide() {
            @Override
            public RollDecisions.Membership membership() {
                Map<String, String> up = new HashMap<>();
                upMembers().forEach((name, m) -> up.put(name, m.uniqueAddress().toString()));
                return new RollDecisions.Membership(up, Cluster.get(system).state().getUnreachable().stream()
                        .filter(Fleetwide::inFleet).map(FleetStatus::nameOf).sorted().toList());
            }

            @Override
            public Optional<ActorRef<FleetNode.Command>> agent(String name) {
                Member member = upMembers().get(name);
                if (member == null) return Optional.empty();
                ActorRef<FleetNode.Command> agent = agents.get().get(member.address());
                if (agent != null) return Optional.of(agent);
                // A runner older than the Receptionist's use: its agent is the guardian of its own
                // fleet system. Never in a host's system, whose guardian is the host's.
                if (member.address().system().equals(FleetConfig.SYSTEM_NAME)) {
                    return Optional.of(resolver.resolveActorRef(member.address() + "/user"));
                }
                return Optional.empty(); // not registered yet: the coordinator asks again
            }

            private Map<String, Member> upMembers() {
                Map<String, Member> up = new HashMap<>();
                StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
                        .filter(m -> m.status() == MemberStatus.up() && inFleet(m)).forEach(m -> up.put(FleetStatus.nameOf(m), m));
                return up;
            }

            @Override
            public Behavior<PlanRegister.Command> planRegister() {
                return PlanRegister.distributed();
            }

            @Override
            public void watchEntries(ActorContext<?> context, ActorRef<Map<String, NodeEntry>> to) {
                // A child of its own: one ReplicatorMessageAdapter per actor (see FleetNode).
                context.spawn(FleetData.<Map<String, NodeEntry>, LWWMap<String, NodeEntry>>withReplicatorMessageAdapter(r -> {
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

    /**
     * A member runs a fleet agent if it has a fleet name (every fleet system has one; in a host's
     * cluster, the members that embed no runner have none and are no part of a roll).
     */
    static boolean inFleet(Member m) {
        return m.getRoles().stream().anyMatch(r -> r.startsWith(FleetConfig.NAME_ROLE_PREFIX));
    }
}
