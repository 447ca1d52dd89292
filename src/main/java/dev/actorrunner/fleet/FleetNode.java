package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.ClusterEvent;
import akka.cluster.ddata.LWWMap;
import akka.cluster.ddata.Key;
import akka.cluster.ddata.LWWMapKey;
import akka.cluster.ddata.SelfUniqueAddress;
import akka.cluster.ddata.typed.javadsl.DistributedData;
import akka.cluster.ddata.typed.javadsl.Replicator;
import akka.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fleet agent of one runner: the guardian of the fleet's ActorSystem. It follows its runner
 * (in the other ActorSystem of the JVM, through the runner's public messages: {@code GetStatus}
 * on a timer and its events) and publishes the node's {@link NodeEntry} in Distributed Data,
 * where only this node writes it; it answers {@link GetFleetStatus} from what it has replicated.
 *
 * <p>Invariants: it writes no entry but its own; a write happens when the entry changed, or every
 * {@link #REFRESH} so that a stale entry shows its age; nothing here waits on the runner.
 */
public final class FleetNode {

    /** Every node's entry, keyed by node name. */
    static final Key<LWWMap<String, NodeEntry>> NODES = LWWMapKey.create("actor-runner-fleet-nodes");
    /** How often the runner is asked for its status: the status's delay, at most. */
    static final Duration POLL = Duration.ofSeconds(1);
    /** An unchanged entry is written again this often, so its updated-at says the node is alive. */
    static final Duration REFRESH = Duration.ofSeconds(15);

    public sealed interface Command {}

    /**
     * Asks for the fleet as this node sees it: {@code replyTo} gets a {@link FleetStatus} at once
     * (from the replicated entries and the cluster's membership). Sent by the control socket.
     */
    public record GetFleetStatus(ActorRef<FleetStatus> replyTo) implements Command {
        public GetFleetStatus {
            Objects.requireNonNull(replyTo, "replyTo");
        }
    }

    private enum Poll implements Command { INSTANCE }

    private record RunnerStatusIs(RunnerStatus status) implements Command {}

    private record RunnerEventIs(RunnerEvent event) implements Command {}

    private record EntriesChanged(Replicator.SubscribeResponse<LWWMap<String, NodeEntry>> response) implements Command {}

    private record Written(Replicator.UpdateResponse<LWWMap<String, NodeEntry>> response) implements Command {}

    private record MemberChanged(ClusterEvent.ClusterDomainEvent event) implements Command {}

    /**
     * @param name   this node's fleet name
     * @param runner the local runner, in the runner's own ActorSystem
     */
    public static Behavior<Command> create(String name, ActorRef<ActorRunner.Command> runner) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                DistributedData.<Command, LWWMap<String, NodeEntry>>withReplicatorMessageAdapter(replicator ->
                        new FleetNode(context, timers, replicator, name, runner).running())));
    }

    private final ActorContext<Command> context;
    private final ReplicatorMessageAdapter<Command, LWWMap<String, NodeEntry>> replicator;
    private final String name;
    private final ActorRef<ActorRunner.Command> runner;
    private final SelfUniqueAddress self;
    private final String address;
    private final ActorRef<RunnerEvent> events;
    private LWWMap<String, NodeEntry> nodes = LWWMap.empty();
    private NodeEntry published;
    private String lastStep = "";

    private FleetNode(ActorContext<Command> context, TimerScheduler<Command> timers,
                      ReplicatorMessageAdapter<Command, LWWMap<String, NodeEntry>> replicator, String name,
                      ActorRef<ActorRunner.Command> runner) {
        this.context = context;
        this.replicator = replicator;
        this.name = name;
        this.runner = runner;
        this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
        this.address = Cluster.get(context.getSystem()).selfMember().address().toString();
        replicator.subscribe(NODES, EntriesChanged::new);
        events = context.messageAdapter(RunnerEvent.class, RunnerEventIs::new);
        runner.tell(new ActorRunner.Subscribe(events));
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.ClusterDomainEvent.class, MemberChanged::new),
                ClusterEvent.ClusterDomainEvent.class));
        timers.startTimerWithFixedDelay(Poll.INSTANCE, POLL);
        context.getSelf().tell(Poll.INSTANCE);
    }

    // A member of the fleet: publishing its entry, answering for the fleet.
    private Behavior<Command> running() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Poll.INSTANCE, this::poll)
                .onMessage(RunnerStatusIs.class, this::onRunnerStatus)
                .onMessage(RunnerEventIs.class, this::onRunnerEvent)
                .onMessage(EntriesChanged.class, this::onEntriesChanged)
                .onMessage(Written.class, m -> Behaviors.same())
                .onMessage(MemberChanged.class, this::onMemberChanged)
                .onMessage(GetFleetStatus.class, this::onGetFleetStatus)
                .onSignal(PostStop.class, s -> {
                    runner.tell(new ActorRunner.Unsubscribe(events));
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> poll() {
        runner.tell(new ActorRunner.GetStatus(context.messageAdapter(RunnerStatus.class, RunnerStatusIs::new)));
        return Behaviors.same();
    }

    private Behavior<Command> onRunnerStatus(RunnerStatusIs m) {
        long now = System.currentTimeMillis();
        NodeEntry entry = Entries.of(name, address, m.status(), lastStep, now);
        if (entry.sameAs(published) && now - published.updatedAt() < REFRESH.toMillis()) return Behaviors.same();
        published = entry;
        replicator.askUpdate(replyTo -> new Replicator.Update<>(NODES, LWWMap.empty(), Replicator.writeLocal(), replyTo,
                current -> current.put(self, name, entry)), Written::new);
        return Behaviors.same();
    }

    // A reload's start and end change the entry: publish at once rather than at the next poll.
    private Behavior<Command> onRunnerEvent(RunnerEventIs m) {
        if (m.event() instanceof RunnerEvent.ReloadStarted || m.event() instanceof RunnerEvent.ReloadCompleted
                || m.event() instanceof RunnerEvent.ReloadAborted || m.event() instanceof RunnerEvent.WorkerListening
                || m.event() instanceof RunnerEvent.WorkerExited) {
            return poll();
        }
        return Behaviors.same();
    }

    private Behavior<Command> onEntriesChanged(EntriesChanged m) {
        if (m.response() instanceof Replicator.Changed<LWWMap<String, NodeEntry>> changed) nodes = changed.dataValue();
        return Behaviors.same();
    }

    private Behavior<Command> onMemberChanged(MemberChanged m) {
        ClusterEvent.ClusterDomainEvent e = m.event();
        if (e instanceof ClusterEvent.MemberUp up) {
            context.getLog().info("fleet: {} is up ({})", FleetStatus.nameOf(up.member()), up.member().address());
        } else if (e instanceof ClusterEvent.UnreachableMember u) {
            context.getLog().warn("fleet: {} is unreachable ({})", FleetStatus.nameOf(u.member()), u.member().address());
        } else if (e instanceof ClusterEvent.ReachableMember r) {
            context.getLog().info("fleet: {} is reachable again ({})", FleetStatus.nameOf(r.member()), r.member().address());
        } else if (e instanceof ClusterEvent.MemberRemoved r) {
            context.getLog().info("fleet: {} left the fleet ({})", FleetStatus.nameOf(r.member()), r.member().address());
        }
        return Behaviors.same();
    }

    private Behavior<Command> onGetFleetStatus(GetFleetStatus m) {
        Map<String, NodeEntry> entries = nodes.getEntries();
        m.replyTo().tell(FleetStatus.of(name, entries.values(),
                Cluster.get(context.getSystem()).state(), List.of(), System.currentTimeMillis()));
        return Behaviors.same();
    }
}
