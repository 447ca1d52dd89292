package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.ClusterEvent;
import akka.cluster.ddata.LWWMap;
import akka.cluster.ddata.LWWRegister;
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

    /** From a {@link MachineStep} child: its step ended. */
    record StepEnded(String planId, boolean ok, String detail) implements Command {}

    private record Checked(String planId, String problem, ActorRef<Coordinator.JarChecked> replyTo) implements Command {}

    private record PlanChanged(Plan plan) implements Command {}

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
    public static Behavior<Command> create(String name, ActorRef<ActorRunner.Command> runner, FleetHost host) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                DistributedData.<Command, LWWMap<String, NodeEntry>>withReplicatorMessageAdapter(replicator ->
                        new FleetNode(context, timers, replicator, name, runner, host).running())));
    }

    private final ActorContext<Command> context;
    private final ReplicatorMessageAdapter<Command, LWWMap<String, NodeEntry>> replicator;
    private final String name;
    private final ActorRef<ActorRunner.Command> runner;
    private final SelfUniqueAddress self;
    private final String address;
    private final ActorRef<RunnerEvent> events;
    private LWWMap<String, NodeEntry> nodes = LWWMap.empty();
    private final FleetHost host;
    private NodeEntry published;
    private String lastStep = "";
    private RunnerStatus lastStatus;
    private Plan plan = Plan.NONE;
    /** This machine's steps, by plan id: running, done or failed, and what to say about it. */
    private final Map<String, Coordinator.StepReport> steps = new java.util.HashMap<>();
    /** Who waits for a running step's end, by plan id: the latest coordinator to ask. */
    private final Map<String, ActorRef<Coordinator.StepReport>> stepWaiters = new java.util.HashMap<>();
    private final List<Follow> followers = new java.util.ArrayList<>();

    private FleetNode(ActorContext<Command> context, TimerScheduler<Command> timers,
                      ReplicatorMessageAdapter<Command, LWWMap<String, NodeEntry>> replicator, String name,
                      ActorRef<ActorRunner.Command> runner, FleetHost host) {
        this.context = context;
        context.setLoggerName(FleetNode.class); // not "ActorCell": the log names who speaks
        this.host = host;
        this.replicator = replicator;
        this.name = name;
        this.runner = runner;
        this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
        this.address = Cluster.get(context.getSystem()).selfMember().address().toString();
        replicator.subscribe(NODES, EntriesChanged::new);
        // A child of its own: a second ReplicatorMessageAdapter in this actor would replace the
        // first one's adapters (they are kept by message class), and NODES' changes would come as plans.
        ActorRef<Plan> plans = context.messageAdapter(Plan.class, PlanChanged::new);
        context.spawn(DistributedData.<Plan, LWWRegister<Plan>>withReplicatorMessageAdapter(plansOnly -> {
            plansOnly.subscribe(Coordinator.PLAN, r -> r instanceof Replicator.Changed<LWWRegister<Plan>> c
                    ? c.get(Coordinator.PLAN).getValue() : Plan.NONE);
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
                .onMessage(CheckJar.class, this::onCheckJar)
                .onMessage(Checked.class, this::onChecked)
                .onMessage(RunStep.class, this::onRunStep)
                .onMessage(StepEnded.class, this::onStepEnded)
                .onMessage(PlanChanged.class, this::onPlanChanged)
                .onMessage(Follow.class, this::onFollow)
                .onSignal(PostStop.class, s -> {
                    runner.tell(new ActorRunner.Unsubscribe(events));
                    // This node left its fleet (downed, partitioned, closing): nobody will tell its
                    // followers how the roll ends, so they hear it now instead of waiting for ever.
                    for (Follow f : followers) {
                        f.done().complete(new dev.actorrunner.control.FleetControl.Reply(1, "this node left its fleet while"
                                + " following plan " + f.planId() + "; `actor-runner fleet status` on another node shows how"
                                + " the roll ends", Map.of()));
                    }
                    followers.clear();
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> poll() {
        runner.tell(new ActorRunner.GetStatus(context.messageAdapter(RunnerStatus.class, RunnerStatusIs::new)));
        return Behaviors.same();
    }

    private Behavior<Command> onRunnerStatus(RunnerStatusIs m) {
        lastStatus = m.status();
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
                plan.active() ? List.of(plan.describe()) : List.of(), System.currentTimeMillis()));
        return Behaviors.same();
    }

    // ---- fleet reload: this machine's part ----

    private Behavior<Command> onCheckJar(CheckJar m) {
        if (m.jar().isEmpty()) {
            m.replyTo().tell(new Coordinator.JarChecked(m.planId(), name, ""));
        } else if (!host.runsJar()) {
            m.replyTo().tell(new Coordinator.JarChecked(m.planId(), name, "this runner runs a command, not an app jar"));
        } else {
            java.util.concurrent.Executor blocking = context.getSystem().dispatchers()
                    .lookup(akka.actor.typed.DispatcherSelector.blocking());
            context.pipeToSelf(java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> JarCheck.problem(java.nio.file.Path.of(m.jar()), m.sha256()), blocking),
                    (problem, failure) -> new Checked(m.planId(), problem != null ? problem
                            : "the check failed: " + failure.getMessage(), m.replyTo()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onChecked(Checked m) {
        m.replyTo().tell(new Coordinator.JarChecked(m.planId(), name, m.problem()));
        return Behaviors.same();
    }

    private Behavior<Command> onRunStep(RunStep m) {
        Coordinator.StepReport known = steps.get(m.planId());
        if (known != null) {
            // A repeated step (the coordinator resends until it hears the end): its state, never a second run.
            m.replyTo().tell(known);
            if (known.state().equals(Plan.Step.RUNNING)) stepWaiters.put(m.planId(), m.replyTo());
            return Behaviors.same();
        }
        if (alreadyRuns(m.jar(), m.sha256())) {
            // This node's agent restarted mid-step (its memory went with its system) or the step
            // was done before: the runner already runs the release, idle and whole.
            Coordinator.StepReport done = new Coordinator.StepReport(m.planId(), name, Plan.Step.DONE, "already runs " + m.jar());
            steps.put(m.planId(), done);
            m.replyTo().tell(done);
            return Behaviors.same();
        }
        Coordinator.StepReport running = new Coordinator.StepReport(m.planId(), name, Plan.Step.RUNNING, "");
        steps.put(m.planId(), running);
        stepWaiters.put(m.planId(), m.replyTo());
        m.replyTo().tell(running);
        lastStep = "plan " + m.planId() + ": reloading";
        context.spawnAnonymous(MachineStep.create(m.planId(),
                m.jar().isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(java.nio.file.Path.of(m.jar())),
                Duration.ofMillis(m.minHealthyMillis()), runner, host, context.getSelf().narrow()));
        return poll();
    }

    private boolean alreadyRuns(String jar, String sha256) {
        RunnerStatus s = lastStatus;
        if (jar.isEmpty() || s == null || s.reload().isPresent() || s.readyCount() < s.desiredWorkers()) return false;
        return s.generations().stream().filter(g -> g.generation() == s.generation()).flatMap(g -> g.jar().stream())
                .anyMatch(j -> sha256.isEmpty() ? j.path().equals(java.nio.file.Path.of(jar)) : j.sha256().equalsIgnoreCase(sha256));
    }

    private Behavior<Command> onStepEnded(StepEnded m) {
        Coordinator.StepReport end = new Coordinator.StepReport(m.planId(), name,
                m.ok() ? Plan.Step.DONE : Plan.Step.FAILED, m.detail());
        steps.put(m.planId(), end);
        lastStep = "plan " + m.planId() + ": " + end.state() + " (" + m.detail() + ")";
        ActorRef<Coordinator.StepReport> waiter = stepWaiters.remove(m.planId());
        if (waiter != null) waiter.tell(end);
        return poll();
    }

    private Behavior<Command> onPlanChanged(PlanChanged m) {
        Plan before = plan;
        plan = m.plan();
        followers.removeIf(f -> tellFollower(f, before));
        return Behaviors.same();
    }

    private Behavior<Command> onFollow(Follow f) {
        if (!tellFollower(f, Plan.NONE)) followers.add(f);
        return Behaviors.same();
    }

    /** Passes the plan's news on to {@code f}; true when the roll ended and {@code f} is done. */
    private boolean tellFollower(Follow f, Plan before) {
        if (!plan.id().equals(f.planId())) {
            if (!before.id().equals(f.planId())) return false;
            // Replaced by a newer plan before this node saw the followed one end.
            f.done().complete(new dev.actorrunner.control.FleetControl.Reply(1, "plan " + f.planId() + " was replaced by plan "
                    + plan.id() + " before this node saw it end; see `actor-runner fleet status`", Map.of()));
            return true;
        }
        for (Plan.Step s : plan.steps()) {
            Plan.Step was = before.id().equals(plan.id()) ? before.steps().stream()
                    .filter(b -> b.node().equals(s.node())).findFirst().orElse(null) : null;
            if (!s.state().equals(Plan.Step.PENDING) && (was == null || !was.state().equals(s.state()))) {
                f.progress().accept(s.node() + ": " + s.state() + (s.detail().isEmpty() ? "" : " (" + s.detail() + ")"));
            }
        }
        if (plan.state().equals(Plan.PAUSED) && !before.state().equals(Plan.PAUSED)) f.progress().accept(plan.describe());
        if (plan.active()) return false;
        f.done().complete(new dev.actorrunner.control.FleetControl.Reply(plan.state().equals(Plan.COMPLETED) ? 0 : 1,
                plan.describe(), Map.of()));
        return true;
    }
}
