package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.config.FleetSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The fleet roll's coordinator, a cluster singleton: it checks every machine before it touches
 * any (a {@link RollCheck} child per roll), then reloads {@code max-parallel} machines at a time through each machine's agent
 * ({@link FleetNode}), each with the local surge reload, and moves on once a machine's new
 * generation stayed healthy for min-healthy-time (the agent waits that out before it reports).
 * What to do next is {@link RollDecisions}' to say; this actor carries it out.
 *
 * <p>Invariants: it starts no step while any member is unreachable; every change of the plan is
 * written to Distributed Data with a majority, so that a coordinator started elsewhere (this one's
 * node died) reads it and resumes; a step is identified by plan id and machine and is resent until
 * the agent reports its end (Akka's delivery is at most once), the agent answering a repeated one
 * with its state; a roll ends, completed or aborted, within progress-deadline of its last progress
 * (a canary pause excepted: it waits for the operator); an abort is acknowledged once a majority
 * holds it.
 */
public final class Coordinator {

    /** How often the roll is looked at: steps started, deadlines checked. */
    static final Duration TICK = Duration.ofSeconds(1);
    /** Every machine must answer the pre-check within this (it hashes the jar). */
    static final Duration CHECK_TIMEOUT = RollCheck.TIMEOUT;
    static final Duration MAJORITY_TIMEOUT = PlanRegister.MAJORITY_TIMEOUT;
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

    /**
     * A machine's answer to {@link FleetNode.CheckJar}: {@code problem} "" when fit, and the hash of
     * the jar it found ("" when not fit, for a reload to the same settings, or from an older agent).
     */
    public record JarChecked(String planId, String node, String problem, String sha256) implements RollCheck.Command, FleetMessage {
        public JarChecked {
            sha256 = sha256 == null ? "" : sha256;
        }
    }

    /** From the roll's {@link RollCheck}: the plan to roll, or why the roll is refused. */
    record CheckEnded(String planId, RollDecisions.Checked checked) implements Command {}

    /** A machine's report on its step of {@code planId}: running, done or failed, with {@code detail}. */
    public record StepReport(String planId, String node, String state, String detail) implements Command, FleetMessage {}

    private enum Tick implements Command { INSTANCE }


    /** While idle: is a member behind the last completed release (it joined, or came back, since)? */
    private enum CatchUp implements Command { INSTANCE }

    private record NodesAre(Map<String, NodeEntry> entries) implements Command {}

    private record PlanRead(PlanRegister.ReadResult result) implements Command {}

    private record PlanWritten(PlanRegister.Written written) implements Command {}

    public static Behavior<Command> create(FleetSettings settings) {
        return Behaviors.setup(context -> create(settings, Fleetwide.of(context)));
    }

    /** As above, in {@code fleet} (a cluster, or a stand-in for tests). */
    static Behavior<Command> create(FleetSettings settings, Fleetwide fleet) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(64, stash ->
                new Coordinator(context, timers, stash, settings, fleet).recovering())));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final StashBuffer<Command> stash;
    private final FleetSettings settings;
    private final Fleetwide fleet;
    private final ActorRef<PlanRegister.Command> register;
    /** When each running step was last sent, by node. */
    private final Map<String, Long> sent = new HashMap<>();
    private boolean waitingForReachability;
    /** The fleet's current release: the last roll that ended (or Plan.NONE), see RollDecisions.current. */
    private Plan last = Plan.NONE;
    /** Every node's published entry, as replicated here. */
    private Map<String, NodeEntry> entries = Map.of();
    /** Members already sent to catch up with a release (RollDecisions.catchUpKey): never twice. */
    private final Set<String> caughtUp = new HashSet<>();

    private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, StashBuffer<Command> stash,
                        FleetSettings settings, Fleetwide fleet) {
        this.context = context;
        context.setLoggerName(Coordinator.class); // not "ActorCell": the log names who speaks
        this.timers = timers;
        this.stash = stash;
        this.settings = settings;
        this.fleet = fleet;
        this.register = context.spawn(fleet.planRegister(), "plan");
        fleet.watchEntries(context, context.messageAdapter(castMap(), NodesAre::new));
    }

    @SuppressWarnings("unchecked")
    private static Class<Map<String, NodeEntry>> castMap() {
        return (Class<Map<String, NodeEntry>>) (Class<?>) Map.class;
    }

    // Reading the plan a previous coordinator may have left, from a majority.
    private Behavior<Command> recovering() {
        register.tell(new PlanRegister.Read(context.messageAdapter(PlanRegister.ReadResult.class, PlanRead::new)));
        return Behaviors.receive(Command.class)
                .onMessage(PlanRead.class, this::onPlanRead)
                .onAnyMessage(m -> {
                    stash.stash(m);
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> onPlanRead(PlanRead m) {
        if (m.result().plan().isEmpty()) {
            // No majority now: a roll is resumed only from what a majority saw; nothing starts
            // without one either (the plan's first write needs it).
            context.getLog().warn("fleet coordinator: no majority answered for the plan; reading it again");
            return recovering();
        }
        Plan plan = m.result().plan().get();
        if (plan.active()) {
            context.getLog().info("fleet coordinator: resuming {}", plan.describe());
            return stash.unstashAll(rolling(plan));
        }
        last = RollDecisions.current(plan, Plan.NONE);
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
                .onMessage(Promote.class, m -> refused(m.replyTo(), "no fleet roll is in progress"))
                .onMessage(Abort.class, m -> refused(m.replyTo(), "no fleet roll is in progress"))
                .onAnyMessage(m -> Behaviors.same()) // late reports of a roll that ended
                .build();
    }

    private Behavior<Command> onStartRoll(StartRoll m) {
        RollDecisions.Membership members = fleet.membership();
        if (!members.unreachable().isEmpty()) {
            return refuse(m.replyTo(), "unreachable members: " + String.join(", ", members.unreachable()) + "; nothing reloaded");
        }
        return check(Plan.start(newId(), m.jar(), m.sha256(), m.maxParallel(), m.canary(),
                members.up().keySet().stream().sorted().toList(), now()), m.replyTo());
    }

    /** Checks the release on the plan's machines, then rolls them; {@code replyTo} null for a catch-up of the coordinator's own. */
    private Behavior<Command> check(Plan plan, ActorRef<RollAnswer> replyTo) {
        timers.cancel(CatchUp.INSTANCE);
        context.spawnAnonymous(RollCheck.create(plan, fleet, context.getSelf().narrow()));
        // Every machine checks the release before anything is touched.
        return busy("another fleet reload is being checked")
                .onMessage(CheckEnded.class, e -> !e.planId().equals(plan.id()) ? Behaviors.same()
                        : e.checked().plan() == null ? refuse(replyTo, e.checked().refusal()) : writingFirst(e.checked().plan(), replyTo))
                .onAnyMessage(x -> Behaviors.same())
                .build();
    }

    private Behavior<Command> onNodes(NodesAre m) {
        entries = m.entries();
        return Behaviors.same();
    }

    /**
     * A member that joined (or came back) after the last roll completed, and runs another release,
     * is brought to it under the same budget: a roll of its own that keeps the release's identity,
     * checked first like any other (RollDecisions.behind says who).
     */
    private Behavior<Command> onCatchUp() {
        RollDecisions.Membership members = fleet.membership();
        List<String> behind = RollDecisions.behind(last, members, entries, caughtUp);
        if (behind.isEmpty()) return Behaviors.same();
        behind.forEach(name -> caughtUp.add(RollDecisions.catchUpKey(members.up().get(name), last)));
        context.getLog().info("fleet coordinator: bringing {} to the release of plan {} ({})", behind, last.releaseId(), last.release());
        return check(Plan.catchUp(newId(), last, behind, now()), null);
    }

    /** The requests of an operator while a roll is being started or aborted: answered 2 with {@code why}; the state goes on. */
    private BehaviorBuilder<Command> busy(String why) {
        return Behaviors.receive(Command.class)
                .onMessage(NodesAre.class, this::onNodes)
                .onMessage(StartRoll.class, s -> refused(s.replyTo(), why))
                .onMessage(Promote.class, s -> refused(s.replyTo(), why))
                .onMessage(Abort.class, s -> refused(s.replyTo(), why));
    }

    // The plan reaches a majority before any machine is touched: a roll without quorum is refused.
    private Behavior<Command> writingFirst(Plan plan, ActorRef<RollAnswer> replyTo) {
        write(plan);
        return busy("another fleet reload is starting")
                .onMessage(PlanWritten.class, w -> {
                    if (!w.written().ok()) {
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
                .onMessage(Abort.class, a -> aborting(plan, plan.withState(Plan.ABORTED, "aborted by the operator", now()), a.replyTo()))
                .onMessage(NodesAre.class, this::onNodes)
                .onMessage(StartRoll.class, s -> refused(s.replyTo(), "a fleet reload is in progress: " + plan.describe()))
                .onMessage(PlanWritten.class, w -> {
                    if (!w.written().ok()) {
                        context.getLog().warn("fleet coordinator: plan {} not written to a majority; it goes on, and is written again at its next change", plan.id());
                    }
                    return Behaviors.same();
                })
                .onAnyMessage(x -> Behaviors.same())
                .build();
    }

    /**
     * The operator's abort is acknowledged only once a majority holds it: a coordinator started
     * elsewhere would otherwise resume the roll that was reported aborted. Meanwhile no step
     * starts (no Tick is handled); reports wait in the stash.
     */
    private Behavior<Command> aborting(Plan plan, Plan aborted, ActorRef<RollAnswer> replyTo) {
        write(aborted);
        return busy("plan " + plan.id() + " is being aborted")
                .onMessage(PlanWritten.class, w -> w.written().plan() != aborted ? Behaviors.same() : onAbortWritten(plan, w.written(), replyTo))
                .onMessageEquals(Tick.INSTANCE, Behaviors::same)
                .onAnyMessage(m -> {
                    stash.stash(m);
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> onAbortWritten(Plan plan, PlanRegister.Written w, ActorRef<RollAnswer> replyTo) {
        if (w.ok()) {
            replyTo.tell(new RollAnswer(0, plan.id(), "plan " + plan.id() + " aborted"));
            return stash.unstashAll(ended(w.plan()));
        }
        replyTo.tell(new RollAnswer(2, plan.id(), "plan " + plan.id() + " was not aborted: the abort could not be written"
                + " to a majority of the fleet (no quorum?); the roll goes on: try again"));
        return stash.unstashAll(rolling(plan));
    }

    private Behavior<Command> onTick(Plan plan) {
        RollDecisions.Tick t = RollDecisions.tick(plan, fleet.membership(), sent, now(),
                new RollDecisions.Deadlines(settings.machineDeadline(), settings.progressDeadline()));
        if (!t.blocked().isEmpty() && !waitingForReachability) {
            context.getLog().warn("fleet coordinator: no new step while {} unreachable", t.blocked());
        }
        waitingForReachability = !t.blocked().isEmpty();
        for (String node : t.send()) send(t.plan(), node);
        return t.plan() == plan ? Behaviors.same() : changed(t.plan());
    }

    private Behavior<Command> onStepReport(Plan plan, StepReport r) {
        Plan next = RollDecisions.reported(plan, r, now());
        if (next == plan) return Behaviors.same();
        sent.remove(r.node());
        return changed(next);
    }

    private Behavior<Command> onPromote(Plan plan, Promote p) {
        if (!plan.state().equals(Plan.PAUSED)) return refused(p.replyTo(), "plan " + plan.id() + " is not paused: " + plan.describe());
        p.replyTo().tell(new RollAnswer(0, plan.id(), "plan " + plan.id() + " promoted: the roll goes on"));
        return changed(plan.promoted(now()));
    }

    /** Records a new state of the plan (written to a majority) and carries on in the state it calls for. */
    private Behavior<Command> changed(Plan plan) {
        write(plan);
        return plan.active() ? rolling(plan) : ended(plan);
    }

    /** The roll ended (its end is being written): its release may now be the fleet's current one. */
    private Behavior<Command> ended(Plan plan) {
        context.getLog().info("fleet coordinator: {}", plan.describe());
        sent.clear();
        last = RollDecisions.current(plan, last);
        return idle();
    }

    private void send(Plan plan, String node) {
        sent.put(node, now()); // an agent not known yet gets it at the next resend, as a lost step would
        fleet.agent(node).ifPresent(agent -> agent.tell(new FleetNode.RunStep(plan.id(), plan.jar(), plan.sha256(),
                settings.minHealthyTime().toMillis(), context.getSelf().narrow())));
    }

    private void write(Plan plan) {
        register.tell(new PlanRegister.Write(plan, context.messageAdapter(PlanRegister.Written.class, PlanWritten::new)));
    }

    /** Answers a request that does not fit the state (2, why) and stays in that state. */
    private Behavior<Command> refused(ActorRef<RollAnswer> replyTo, String why) {
        replyTo.tell(new RollAnswer(2, "", why));
        return Behaviors.same();
    }

    /** The roll being started is refused (or, {@code replyTo} null, the catch-up): back to idle. */
    private Behavior<Command> refuse(ActorRef<RollAnswer> replyTo, String why) {
        if (replyTo != null) {
            replyTo.tell(new RollAnswer(2, "", why));
        } else {
            context.getLog().warn("fleet coordinator: catching up refused: {}", why);
        }
        return idle();
    }

    private static String newId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private long now() {
        return fleet.now();
    }
}
