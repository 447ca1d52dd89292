package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.ddata.Key;
import akka.cluster.ddata.LWWRegister;
import akka.cluster.ddata.LWWRegisterKey;
import akka.cluster.ddata.SelfUniqueAddress;
import akka.cluster.ddata.typed.javadsl.DistributedData;
import akka.cluster.ddata.typed.javadsl.Replicator;
import akka.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import akka.cluster.typed.Cluster;
import dev.actorrunner.config.FleetSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.StreamSupport;

/**
 * The fleet roll's coordinator, a cluster singleton: it checks every machine before it touches
 * any, then reloads {@code max-parallel} machines at a time through each machine's agent
 * ({@link FleetNode}), each with the local surge reload, and moves on once a machine's new
 * generation stayed healthy for min-healthy-time (the agent waits that out before it reports).
 *
 * <p>Invariants: it starts no step while any member is unreachable; every change of the plan is
 * written to Distributed Data with a majority, so that a coordinator started elsewhere (this one's
 * node died) reads it and resumes; a step is identified by plan id and machine and is resent until
 * the agent reports its end (Akka's delivery is at most once), the agent answering a repeated one
 * with its state; a roll ends, completed or aborted, within progress-deadline of its last progress.
 */
public final class Coordinator {

    static final Key<LWWRegister<Plan>> PLAN = LWWRegisterKey.create("actor-runner-fleet-plan");
    /** How often the roll is looked at: steps started, deadlines checked. */
    static final Duration TICK = Duration.ofSeconds(1);
    /** A running step is sent again this often until its end is reported. */
    static final Duration RESEND = Duration.ofSeconds(5);
    /** Every machine must answer the pre-check within this (it hashes the jar). */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(20);
    static final Duration MAJORITY_TIMEOUT = Duration.ofSeconds(5);
    /** How often an idle coordinator looks for a member behind the current release. */
    static final Duration CATCH_UP = Duration.ofSeconds(5);

    public sealed interface Command {}

    /**
     * Starts a fleet roll to {@code jar} ("" : the same settings, read again) with {@code sha256}
     * ("" : not checked). {@code replyTo} gets a {@link RollAnswer}: 0 accepted (after every machine
     * passed the check and the plan was written to a majority), or 2 refused, with the reason.
     */
    public record StartRoll(String jar, String sha256, int maxParallel, int canary, ActorRef<RollAnswer> replyTo)
            implements Command, FleetMessage {}

    /** Ends a canary pause: the roll goes on. {@code replyTo} gets a {@link RollAnswer} (2: nothing paused). */
    public record Promote(ActorRef<RollAnswer> replyTo) implements Command, FleetMessage {}

    /** Aborts the roll in progress: machines done keep the new release, the others the old. */
    public record Abort(ActorRef<RollAnswer> replyTo) implements Command, FleetMessage {}

    /** The answer to StartRoll, Promote and Abort: {@code code} 0 done, 2 refused. */
    public record RollAnswer(int code, String planId, String message) implements FleetMessage {}

    /** A machine's answer to {@link FleetNode.CheckJar}: {@code problem} "" when fit. */
    public record JarChecked(String planId, String node, String problem) implements Command, FleetMessage {}

    /** A machine's report on its step of {@code planId}: running, done or failed, with {@code detail}. */
    public record StepReport(String planId, String node, String state, String detail) implements Command, FleetMessage {}

    private enum Tick implements Command { INSTANCE }

    private enum CheckTimeout implements Command { INSTANCE }

    /** While idle: is a member behind the last completed release (it joined, or came back, since)? */
    private enum CatchUp implements Command { INSTANCE }

    private record NodesAre(Map<String, NodeEntry> entries) implements Command {}

    private record PlanRead(Replicator.GetResponse<LWWRegister<Plan>> response) implements Command {}

    private record PlanWritten(Plan plan, Replicator.UpdateResponse<LWWRegister<Plan>> response) implements Command {}

    public static Behavior<Command> create(FleetSettings settings) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(64, stash ->
                DistributedData.<Command, LWWRegister<Plan>>withReplicatorMessageAdapter(replicator ->
                        new Coordinator(context, timers, stash, replicator, settings).recovering()))));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final StashBuffer<Command> stash;
    private final ReplicatorMessageAdapter<Command, LWWRegister<Plan>> replicator;
    private final FleetSettings settings;
    private final SelfUniqueAddress self;
    private final ActorRefResolver resolver;
    /** When each running step was last sent, by node. */
    private final Map<String, Long> sent = new HashMap<>();
    private boolean waitingForReachability;
    /** The last roll that ended (or Plan.NONE): its release is the fleet's current one if it completed. */
    private Plan last = Plan.NONE;
    /** Every node's published entry, as replicated here. */
    private Map<String, NodeEntry> entries = Map.of();
    /** Members already sent to catch up with a release ("address release"): never twice. */
    private final Set<String> caughtUp = new HashSet<>();

    private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, StashBuffer<Command> stash,
                        ReplicatorMessageAdapter<Command, LWWRegister<Plan>> replicator, FleetSettings settings) {
        this.context = context;
        context.setLoggerName(Coordinator.class); // not "ActorCell": the log names who speaks
        this.timers = timers;
        this.stash = stash;
        this.replicator = replicator;
        this.settings = settings;
        this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
        this.resolver = ActorRefResolver.get(context.getSystem());
        // A child of its own for the nodes' entries: one ReplicatorMessageAdapter per actor (see FleetNode).
        ActorRef<Map<String, NodeEntry>> nodes = context.messageAdapter(castMap(), NodesAre::new);
        context.spawn(DistributedData.<Map<String, NodeEntry>, akka.cluster.ddata.LWWMap<String, NodeEntry>>withReplicatorMessageAdapter(r -> {
            r.subscribe(FleetNode.NODES, c -> c instanceof Replicator.Changed<akka.cluster.ddata.LWWMap<String, NodeEntry>> ch
                    ? ch.dataValue().getEntries() : Map.of());
            return Behaviors.receiveMessage(m -> {
                nodes.tell(m);
                return Behaviors.same();
            });
        }), "nodes-watcher");
    }

    @SuppressWarnings("unchecked")
    private static Class<Map<String, NodeEntry>> castMap() {
        return (Class<Map<String, NodeEntry>>) (Class<?>) Map.class;
    }

    // Reading the plan a previous coordinator may have left, from a majority.
    private Behavior<Command> recovering() {
        replicator.askGet(replyTo -> new Replicator.Get<>(PLAN, new Replicator.ReadMajority(MAJORITY_TIMEOUT), replyTo),
                PlanRead::new);
        return Behaviors.receive(Command.class)
                .onMessage(PlanRead.class, this::onPlanRead)
                .onAnyMessage(m -> {
                    stash.stash(m);
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> onPlanRead(PlanRead m) {
        Plan plan = Plan.NONE;
        if (m.response() instanceof Replicator.GetSuccess<LWWRegister<Plan>> ok) {
            plan = ok.get(PLAN).getValue();
        } else if (m.response() instanceof Replicator.GetFailure) {
            // No majority now: a roll is resumed only from what a majority saw; nothing starts
            // without one either (the plan's first write needs it).
            context.getLog().warn("fleet coordinator: no majority answered for the plan; reading it again");
            return recovering();
        }
        if (plan.active()) {
            context.getLog().info("fleet coordinator: resuming {}", plan.describe());
            return stash.unstashAll(rolling(plan));
        }
        last = plan;
        return stash.unstashAll(idle());
    }

    // No roll: waiting for StartRoll.
    private Behavior<Command> idle() {
        timers.cancel(Tick.INSTANCE);
        if (!timers.isTimerActive(CatchUp.INSTANCE)) timers.startTimerWithFixedDelay(CatchUp.INSTANCE, CATCH_UP);
        return Behaviors.receive(Command.class)
                .onMessage(StartRoll.class, this::onStartRoll)
                .onMessageEquals(CatchUp.INSTANCE, this::onCatchUp)
                .onMessage(NodesAre.class, this::onNodes)
                .onMessage(Promote.class, m -> refuse(m.replyTo(), "no fleet roll is in progress"))
                .onMessage(Abort.class, m -> refuse(m.replyTo(), "no fleet roll is in progress"))
                .onAnyMessage(m -> Behaviors.same()) // late reports of a roll that ended
                .build();
    }

    private Behavior<Command> onStartRoll(StartRoll m) {
        List<String> unreachable = unreachable();
        if (!unreachable.isEmpty()) {
            return refuse(m.replyTo(), "unreachable members: " + String.join(", ", unreachable) + "; nothing reloaded");
        }
        return begin(m.jar(), m.sha256(), m.maxParallel(), m.canary(), upMembers(), m.replyTo());
    }

    /** Checks the release on {@code members}, then rolls them; {@code replyTo} null for a catch-up of the coordinator's own. */
    private Behavior<Command> begin(String jar, String sha256, int maxParallel, int canary, Map<String, Member> members,
                                    ActorRef<RollAnswer> replyTo) {
        timers.cancel(CatchUp.INSTANCE);
        Plan plan = Plan.start(UUID.randomUUID().toString().substring(0, 8), jar, sha256, maxParallel,
                canary, members.keySet().stream().sorted().toList(), System.currentTimeMillis());
        for (Member member : members.values()) {
            agent(member).tell(new FleetNode.CheckJar(plan.id(), jar, sha256, context.getSelf().narrow()));
        }
        timers.startSingleTimer(CheckTimeout.INSTANCE, CHECK_TIMEOUT);
        return checking(plan, new HashSet<>(members.keySet()), new ArrayList<>(), replyTo);
    }

    private Behavior<Command> onNodes(NodesAre m) {
        entries = m.entries();
        return Behaviors.same();
    }

    /**
     * A member that joined (or came back) after the last roll completed, and runs another release,
     * is brought to it under the same budget: a roll of its own, checked first like any other.
     * Only entries written after that roll ended count (an older one may predate its last step).
     */
    private Behavior<Command> onCatchUp() {
        if (!last.state().equals(Plan.COMPLETED) || last.jar().isEmpty() || !unreachable().isEmpty()) return Behaviors.same();
        Map<String, Member> behind = new HashMap<>();
        upMembers().forEach((name, member) -> {
            NodeEntry e = entries.get(name);
            String key = member.uniqueAddress() + " " + last.id();
            if (e == null || e.updatedAt() <= last.updatedAt() || e.reload().startsWith("reloading") || caughtUp.contains(key)) return;
            boolean runsIt = last.sha256().isEmpty() ? e.jar().equals(last.jar()) : e.sha256().equalsIgnoreCase(last.sha256());
            if (!runsIt) {
                behind.put(name, member);
                caughtUp.add(key);
            }
        });
        if (behind.isEmpty()) return Behaviors.same();
        context.getLog().info("fleet coordinator: bringing {} to the release of plan {} ({})",
                behind.keySet().stream().sorted().toList(), last.id(), last.release());
        return begin(last.jar(), last.sha256(), last.maxParallel(), 0, behind, null);
    }

    // Every machine checks the release before anything is touched.
    private Behavior<Command> checking(Plan plan, Set<String> waiting, List<String> problems, ActorRef<RollAnswer> replyTo) {
        return Behaviors.receive(Command.class)
                .onMessage(JarChecked.class, c -> {
                    if (!c.planId().equals(plan.id())) return Behaviors.same();
                    waiting.remove(c.node());
                    if (!c.problem().isEmpty()) problems.add(c.node() + ": " + c.problem());
                    if (!waiting.isEmpty()) return Behaviors.same();
                    timers.cancel(CheckTimeout.INSTANCE);
                    if (!problems.isEmpty()) return refuse(replyTo, "refused, nothing reloaded: " + String.join("; ", problems));
                    return writingFirst(plan, replyTo);
                })
                .onMessageEquals(CheckTimeout.INSTANCE, () -> refuse(replyTo, "no answer to the check from "
                        + String.join(", ", waiting.stream().sorted().toList()) + "; nothing reloaded"))
                .onMessage(NodesAre.class, this::onNodes)
                .onMessage(StartRoll.class, s -> refuse(s.replyTo(), "another fleet reload is being checked"))
                .onMessage(Promote.class, s -> refuse(s.replyTo(), "no fleet roll is in progress"))
                .onMessage(Abort.class, s -> refuse(s.replyTo(), "no fleet roll is in progress"))
                .onAnyMessage(x -> Behaviors.same())
                .build();
    }

    // The plan reaches a majority before any machine is touched: a roll without quorum is refused.
    private Behavior<Command> writingFirst(Plan plan, ActorRef<RollAnswer> replyTo) {
        write(plan);
        return Behaviors.receive(Command.class)
                .onMessage(PlanWritten.class, w -> {
                    if (!(w.response() instanceof Replicator.UpdateSuccess)) {
                        return refuse(replyTo, "the plan could not be written to a majority of the fleet (no quorum);"
                                + " nothing reloaded");
                    }
                    if (replyTo != null) {
                        replyTo.tell(new RollAnswer(0, plan.id(), "plan " + plan.id() + ": reloading " + plan.steps().size()
                                + " machine(s) to " + plan.release() + ", " + plan.maxParallel() + " at a time"
                                + (plan.canary() > 0 ? ", pausing after " + plan.canary() : "")));
                    }
                    context.getLog().info("fleet coordinator: {}", plan.describe());
                    return rolling(plan);
                })
                .onMessage(NodesAre.class, this::onNodes)
                .onMessage(StartRoll.class, s -> refuse(s.replyTo(), "another fleet reload is starting"))
                .onAnyMessage(x -> Behaviors.same())
                .build();
    }

    // A roll in progress (running or paused at the canary).
    private Behavior<Command> rolling(Plan plan) {
        if (!timers.isTimerActive(Tick.INSTANCE)) timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
        return Behaviors.receive(Command.class)
                .onMessageEquals(Tick.INSTANCE, () -> onTick(plan))
                .onMessage(StepReport.class, r -> onStepReport(plan, r))
                .onMessage(Promote.class, p -> onPromote(plan, p))
                .onMessage(Abort.class, a -> {
                    a.replyTo().tell(new RollAnswer(0, plan.id(), "plan " + plan.id() + " aborted"));
                    return changed(plan.withState(Plan.ABORTED, "aborted by the operator", now()));
                })
                .onMessage(NodesAre.class, this::onNodes)
                .onMessage(StartRoll.class, s -> refuse(s.replyTo(), "a fleet reload is in progress: " + plan.describe()))
                .onMessage(PlanWritten.class, w -> {
                    if (!(w.response() instanceof Replicator.UpdateSuccess)) {
                        context.getLog().warn("fleet coordinator: plan {} not written to a majority; it goes on, and is written again at its next change", plan.id());
                    }
                    return Behaviors.same();
                })
                .onAnyMessage(x -> Behaviors.same())
                .build();
    }

    private Behavior<Command> onTick(Plan plan) {
        long now = now();
        if (now - plan.updatedAt() > settings.progressDeadline().toMillis()) {
            return changed(plan.withState(Plan.ABORTED, "no progress for progress-deadline ("
                    + settings.progressDeadline().toSeconds() + "s)", now));
        }
        for (Plan.Step s : plan.inState(Plan.Step.RUNNING)) {
            if (now - s.startedAt() > settings.machineDeadline().toMillis()) {
                return changed(plan.withStep(s.node(), Plan.Step.FAILED, "missed machine-deadline", now)
                        .withState(Plan.ABORTED, s.node() + " missed machine-deadline ("
                                + settings.machineDeadline().toSeconds() + "s)", now));
            }
        }
        Map<String, Member> members = upMembers();
        for (Plan.Step s : plan.inState(Plan.Step.RUNNING)) {
            if (now - sent.getOrDefault(s.node(), 0L) >= RESEND.toMillis() && members.containsKey(s.node())) {
                send(plan, members.get(s.node()));
            }
        }
        List<String> unreachable = unreachable();
        if (!unreachable.isEmpty()) {
            if (!waitingForReachability) context.getLog().warn("fleet coordinator: no new step while {} unreachable", unreachable);
            waitingForReachability = true;
            return Behaviors.same();
        }
        waitingForReachability = false;
        Plan next = plan;
        for (String node : plan.toStart()) {
            if (!members.containsKey(node)) {
                // Gone from the fleet (stopped, or downed): it is not reloaded now.
                next = next.withStep(node, Plan.Step.SKIPPED, "not a member when its turn came", now);
                continue;
            }
            next = next.withStep(node, Plan.Step.RUNNING, "", now);
            send(next, members.get(node));
        }
        return next == plan ? Behaviors.same() : changed(next);
    }

    private Behavior<Command> onStepReport(Plan plan, StepReport r) {
        if (!r.planId().equals(plan.id())) return Behaviors.same();
        boolean known = plan.inState(Plan.Step.RUNNING).stream().anyMatch(s -> s.node().equals(r.node()));
        if (!known || r.state().equals(Plan.Step.RUNNING)) return Behaviors.same();
        sent.remove(r.node());
        long now = now();
        if (r.state().equals(Plan.Step.DONE)) return changed(plan.withStep(r.node(), Plan.Step.DONE, r.detail(), now));
        return changed(plan.withStep(r.node(), Plan.Step.FAILED, r.detail(), now)
                .withState(Plan.ABORTED, r.node() + ": " + r.detail(), now));
    }

    private Behavior<Command> onPromote(Plan plan, Promote p) {
        if (!plan.state().equals(Plan.PAUSED)) {
            return refuse(p.replyTo(), "plan " + plan.id() + " is not paused: " + plan.describe());
        }
        p.replyTo().tell(new RollAnswer(0, plan.id(), "plan " + plan.id() + " promoted: the roll goes on"));
        return changed(plan.promoted(now()));
    }

    /** Records a new state of the plan (written to a majority) and carries on in the state it calls for. */
    private Behavior<Command> changed(Plan plan) {
        write(plan);
        if (plan.active()) return rolling(plan);
        context.getLog().info("fleet coordinator: {}", plan.describe());
        sent.clear();
        // A catch-up of a few machines to the current release leaves that release current.
        last = plan.state().equals(Plan.COMPLETED) && last.state().equals(Plan.COMPLETED) && plan.jar().equals(last.jar())
                && plan.sha256().equals(last.sha256()) && plan.steps().size() < last.steps().size()
                ? new Plan(last.id(), last.jar(), last.sha256(), last.maxParallel(), 0, Plan.COMPLETED, "", last.steps(),
                        last.startedAt(), plan.updatedAt())
                : plan;
        return idle();
    }

    private void send(Plan plan, Member member) {
        sent.put(FleetStatus.nameOf(member), now());
        agent(member).tell(new FleetNode.RunStep(plan.id(), plan.jar(), plan.sha256(),
                settings.minHealthyTime().toMillis(), context.getSelf().narrow()));
    }

    private void write(Plan plan) {
        replicator.askUpdate(replyTo -> new Replicator.Update<>(PLAN, LWWRegister.create(self, Plan.NONE),
                new Replicator.WriteMajority(MAJORITY_TIMEOUT), replyTo, reg -> reg.withValue(self, plan)),
                response -> new PlanWritten(plan, response));
    }

    private Behavior<Command> refuse(ActorRef<RollAnswer> replyTo, String why) {
        if (replyTo != null) {
            replyTo.tell(new RollAnswer(2, "", why));
        } else {
            context.getLog().warn("fleet coordinator: catching up refused: {}", why);
        }
        return idle();
    }

    /** The agent of a member: the guardian of its fleet system. */
    private ActorRef<FleetNode.Command> agent(Member member) {
        return resolver.resolveActorRef(member.address().toString() + "/user");
    }

    private Map<String, Member> upMembers() {
        Map<String, Member> up = new HashMap<>();
        StreamSupport.stream(Cluster.get(context.getSystem()).state().getMembers().spliterator(), false)
                .filter(m -> m.status() == MemberStatus.up())
                .forEach(m -> up.put(FleetStatus.nameOf(m), m));
        return up;
    }

    private List<String> unreachable() {
        return Cluster.get(context.getSystem()).state().getUnreachable().stream().map(FleetStatus::nameOf).sorted().toList();
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
