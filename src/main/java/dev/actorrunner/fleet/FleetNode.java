package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.ClusterEvent;
import akka.cluster.ddata.LWWMap;
import akka.cluster.ddata.LWWRegister;
import akka.cluster.ddata.Key;
import akka.cluster.ddata.LWWMapKey;
import akka.cluster.ddata.SelfUniqueAddress;
import akka.cluster.ddata.typed.javadsl.Replicator;
import akka.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * The fleet agent of one runner: the guardian of the fleet's own ActorSystem, or an actor of a host's
 * cluster system ({@link Fleet#join}), found by the others through {@link #AGENT}. It follows its runner
 * (in the other ActorSystem of the JVM, through the runner's public messages: {@code GetStatus}
 * on a timer and its events) and publishes the node's {@link NodeEntry} in Distributed Data,
 * where only this node writes it; it answers {@link GetFleetStatus} from what it has replicated.
 *
 * <p>Invariants: it writes no entry but its own, and none while it is not an up member or while
 * an older member has its name (entries are kept by name: two nodes of one name would overwrite
 * each other, and a roll would reload one of them twice); a write happens when the entry changed,
 * or every {@link #REFRESH} so that a stale entry shows its age; nothing here waits on the runner.
 */
public final class FleetNode {

    /** Every node's entry, keyed by node name. */
    static final Key<LWWMap<String, NodeEntry>> NODES = LWWMapKey.create("actor-runner-fleet-nodes");
    /** How often the runner is asked for its status: the status's delay, at most. */
    static final Duration POLL = Duration.ofSeconds(1);
    /** An unchanged entry is written again this often, so its updated-at says the node is alive. */
    static final Duration REFRESH = Duration.ofSeconds(15);

    /**
     * Every agent registers under this key with its system's Receptionist, and the coordinator
     * finds them by it: the agent is then the same Behavior whether it is the guardian of the
     * fleet's own system or an actor of a host's cluster, whatever that system's name.
     */
    public static final ServiceKey<Command> AGENT = ServiceKey.create(Command.class, "actor-runner-fleet-agent");

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

    /**
     * The coordinator's pre-check of a fleet reload: is {@code jar} here, an app, with
     * {@code sha256}? {@code replyTo} gets a {@link Coordinator.JarChecked} ("" when fit). Checked on
     * the blocking dispatcher (it hashes the jar).
     */
    public record CheckJar(String planId, String jar, String sha256, ActorRef<Coordinator.JarChecked> replyTo)
            implements Command, FleetMessage {}

    /**
     * The coordinator's step of plan {@code planId} on this machine: reload to {@code jar} ("" : the
     * same settings) and prove healthy for {@code minHealthyMillis}. Idempotent: a repeated one is
     * answered with the step's state (running, done, failed), never run twice. {@code replyTo} gets
     * a {@link Coordinator.StepReport} now and another when the step ends.
     */
    public record RunStep(String planId, String jar, String sha256, long minHealthyMillis,
                          ActorRef<Coordinator.StepReport> replyTo) implements Command, FleetMessage {}

    /**
     * Local only (never sent over the network): pass each change of plan {@code planId} to
     * {@code progress} as a line, and complete {@code done} with the roll's end (0 completed, 1 aborted).
     */
    public record Follow(String planId, java.util.function.Consumer<String> progress,
                         java.util.concurrent.CompletableFuture<dev.actorrunner.control.FleetControl.Reply> done) implements Command {}

    /** From the {@link MachineAgent} child: the line on this machine's last fleet step changed. */
    private record LastStepIs(String line) implements Command {}

    private record PlanChanged(Plan plan) implements Command {}

    private enum Poll implements Command { INSTANCE }

    private record RunnerStatusIs(RunnerStatus status) implements Command {}

    private record RunnerEventIs(RunnerEvent event) implements Command {}

    private record EntriesChanged(Replicator.SubscribeResponse<LWWMap<String, NodeEntry>> response) implements Command {}

    private record Written(Replicator.UpdateResponse<LWWMap<String, NodeEntry>> response) implements Command {}

    private record MemberChanged(ClusterEvent.ClusterDomainEvent event) implements Command {}

    /** Local only, from {@link Fleet#close} of a node joined to a host's cluster: the agent stops, the cluster stays. */
    enum Stop implements Command { INSTANCE }

    /**
     * @param name   this node's fleet name
     * @param runner the local runner, in the runner's own ActorSystem
     */
    public static Behavior<Command> create(String name, ActorRef<ActorRunner.Command> runner, FleetHost host) {
        return create(name, runner, host, Watcher.NONE, new AskedReloads(), true);
    }

    /** What the fleet system's owner ({@link Fleet}) learns from its agent. Called on the agent's thread. */
    interface Watcher {
        Watcher NONE = new Watcher() {};

        /** The other up members' addresses, whenever membership changed: where to rejoin after a restart. */
        default void membersSeen(Set<String> addresses) {}

        /** This node left its fleet for good and must not rejoin by itself ({@code why}, for the log and status). */
        default void refused(String why) {}
    }

    /**
     * @param ownsCluster whether this agent's ActorSystem is the fleet's own (it may then leave the
     *                    cluster when refused), or a host's (it then only stops: the host's node stays)
     * @param asked       the reloads this node's steps asked for, kept by the owner across fleet systems
     */
    static Behavior<Command> create(String name, ActorRef<ActorRunner.Command> runner, FleetHost host, Watcher watcher,
                                    AskedReloads asked, boolean ownsCluster) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                FleetData.<Command, LWWMap<String, NodeEntry>>withReplicatorMessageAdapter(replicator ->
                        new FleetNode(context, timers, replicator, name, runner, host, watcher, asked, ownsCluster).running())));
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
    private final Watcher watcher;
    /** Set when an older member has this node's name: it publishes nothing and leaves. */
    private boolean refused;
    /** Set once this node was up and no older member had its name: it may publish. */
    private boolean nameChecked;
    /** This machine's part of fleet reloads: checks and steps. */
    private final ActorRef<MachineAgent.Command> machine;
    private final Followers followers = new Followers();
    private final boolean ownsCluster;

    private FleetNode(ActorContext<Command> context, TimerScheduler<Command> timers,
                      ReplicatorMessageAdapter<Command, LWWMap<String, NodeEntry>> replicator, String name,
                      ActorRef<ActorRunner.Command> runner, FleetHost host, Watcher watcher, AskedReloads asked,
                      boolean ownsCluster) {
        this.context = context;
        this.watcher = watcher;
        this.ownsCluster = ownsCluster;
        context.setLoggerName(FleetNode.class); // not "ActorCell": the log names who speaks
        this.machine = context.spawn(MachineAgent.create(name, runner, host, asked,
                context.messageAdapter(String.class, LastStepIs::new)), "machine");
        this.replicator = replicator;
        this.name = name;
        this.runner = runner;
        this.self = FleetData.get(context.getSystem()).selfUniqueAddress();
        this.address = Cluster.get(context.getSystem()).selfMember().address().toString();
        replicator.subscribe(NODES, EntriesChanged::new);
        // A child of its own: a second ReplicatorMessageAdapter in this actor would replace the
        // first one's adapters (they are kept by message class), and NODES' changes would come as plans.
        ActorRef<Plan> plans = context.messageAdapter(Plan.class, PlanChanged::new);
        context.spawn(FleetData.<Plan, LWWRegister<Plan>>withReplicatorMessageAdapter(plansOnly -> {
            plansOnly.subscribe(PlanRegister.PLAN, r -> r instanceof Replicator.Changed<LWWRegister<Plan>> c
                    ? c.get(PlanRegister.PLAN).getValue() : Plan.NONE);
            return Behaviors.receiveMessage(p -> {
                if (!p.id().isEmpty()) plans.tell(p);
                return Behaviors.same();
            });
        }), "plan-watcher");
        events = context.messageAdapter(RunnerEvent.class, RunnerEventIs::new);
        runner.tell(new ActorRunner.Subscribe(events));
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.ClusterDomainEvent.class, MemberChanged::new),
                ClusterEvent.ClusterDomainEvent.class));
        // Deregistered by the Receptionist when this actor stops or its node leaves.
        context.getSystem().receptionist().tell(Receptionist.register(AGENT, context.getSelf()));
        timers.startTimerWithFixedDelay(Poll.INSTANCE, POLL);
        context.getSelf().tell(Poll.INSTANCE);
    }

    // A member of the fleet: publishing its entry, answering for the fleet.
    private Behavior<Command> running() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Poll.INSTANCE, () -> nameChecked ? poll() : checkName())
                .onMessage(RunnerStatusIs.class, this::onRunnerStatus)
                .onMessage(RunnerEventIs.class, this::onRunnerEvent)
                .onMessage(EntriesChanged.class, this::onEntriesChanged)
                .onMessage(Written.class, m -> Behaviors.same())
                .onMessage(MemberChanged.class, this::onMemberChanged)
                .onMessage(GetFleetStatus.class, this::onGetFleetStatus)
                .onMessage(CheckJar.class, m -> {
                    machine.tell(new MachineAgent.Check(m));
                    return Behaviors.same();
                })
                .onMessage(RunStep.class, m -> {
                    machine.tell(new MachineAgent.Run(m));
                    return Behaviors.same();
                })
                .onMessage(LastStepIs.class, m -> {
                    lastStep = m.line();
                    return poll();
                })
                .onMessage(PlanChanged.class, m -> {
                    followers.planChanged(m.plan());
                    return Behaviors.same();
                })
                .onMessage(Follow.class, f -> {
                    followers.add(f);
                    return Behaviors.same();
                })
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .onSignal(PostStop.class, s -> {
                    runner.tell(new ActorRunner.Unsubscribe(events));
                    followers.leftFleet();
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> poll() {
        runner.tell(new ActorRunner.GetStatus(context.messageAdapter(RunnerStatus.class, RunnerStatusIs::new)));
        return Behaviors.same();
    }

    private Behavior<Command> onRunnerStatus(RunnerStatusIs m) {
        // Not before this node is an up member that checked its name: see the invariants.
        if (!nameChecked || refused || !selfIsMember()) return Behaviors.same();
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
        } else if (e instanceof ClusterEvent.MemberRemoved r && selfIsMember()) {
            context.getLog().info("fleet: {} left the fleet ({})", FleetStatus.nameOf(r.member()), r.member().address());
        }
        if (e instanceof ClusterEvent.MemberUp) {
            watcher.membersSeen(upMembers().stream().filter(o -> !o.equals(Cluster.get(context.getSystem()).selfMember()))
                    .map(o -> o.address().toString()).collect(Collectors.toSet()));
            return checkName();
        }
        return Behaviors.same();
    }

    private List<Member> upMembers() {
        return StreamSupport.stream(Cluster.get(context.getSystem()).state().getMembers().spliterator(), false)
                .filter(o -> o.status() == MemberStatus.up()).toList();
    }

    /**
     * Once this node is up: does an older member have its name? Looked at on every MemberUp and
     * poll until decided, since the cluster's view of itself may lag its events by a moment.
     */
    private Behavior<Command> checkName() {
        Member me = Cluster.get(context.getSystem()).selfMember();
        if (nameChecked || refused || me.status() != MemberStatus.up()) return Behaviors.same();
        Optional<Member> namesake = upMembers().stream()
                .filter(o -> !o.equals(me) && FleetStatus.nameOf(o).equals(name) && o.isOlderThan(me)).findFirst();
        if (namesake.isPresent()) return refuse(namesake.get());
        nameChecked = true;
        return poll();
    }

    /**
     * Another, older member has this node's name: entries and steps are kept by name, so this one
     * leaves rather than overwrite the other's entry and share its steps. Its workers serve on.
     */
    private Behavior<Command> refuse(Member namesake) {
        refused = true;
        String why = "another member, at " + namesake.address() + ", already has the name " + name
                + "; this node left the fleet (its workers serve on): give each node its own --fleet-name and restart it";
        context.getLog().error("fleet: {}", why);
        watcher.refused(why);
        // In a host's cluster the node is the host's: only the agent goes (and with it its registration).
        if (!ownsCluster) return Behaviors.stopped();
        Cluster.get(context.getSystem()).manager().tell(akka.cluster.typed.Leave.create(Cluster.get(context.getSystem()).selfMember().address()));
        return Behaviors.same();
    }

    /** While this node leaves (downed, or stopping) Akka removes every member from its view: not news to log. */
    private boolean selfIsMember() {
        akka.cluster.MemberStatus s = Cluster.get(context.getSystem()).selfMember().status();
        return s == akka.cluster.MemberStatus.up() || s == akka.cluster.MemberStatus.weaklyUp();
    }

    private Behavior<Command> onGetFleetStatus(GetFleetStatus m) {
        Map<String, NodeEntry> entries = nodes.getEntries();
        m.replyTo().tell(FleetStatus.of(name, entries.values(), Cluster.get(context.getSystem()).state(),
                followers.plan().active() ? List.of(followers.plan().describe()) : List.of(), System.currentTimeMillis()));
        return Behaviors.same();
    }
}
