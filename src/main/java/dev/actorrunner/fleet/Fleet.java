package dev.actorrunner.fleet;

import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.cluster.typed.Cluster;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.SingletonActor;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.config.FleetSettings;
import dev.actorrunner.control.FleetControl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runner's membership in its fleet: the fleet's own ActorSystem, started beside the runner's
 * and started again, with backoff, whenever it ends. A node that the cluster downs (the Split
 * Brain Resolver, or after a long pause) terminates its fleet system and can never rejoin with it;
 * the runner's workers live in the other ActorSystem and serve on, and a fresh fleet system
 * joins as a new incarnation of the node.
 *
 * <p>Starting a system blocks (Artery binds its port), so it happens on this class's own thread,
 * never on the caller's or an actor's.
 */
public final class Fleet implements FleetControl, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Fleet.class);

    /** First delay before a fleet system that ended is started again; doubles up to {@link #BACKOFF_MAX}. */
    static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(30);
    /** A fleet system that lived this long resets the backoff. */
    static final Duration BACKOFF_RESET = Duration.ofSeconds(60);
    /** How long a control request waits for the fleet agent. */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
    /** A fleet reload's start: every machine checks (and hashes) the jar, then the plan reaches a majority. */
    static final Duration START_TIMEOUT = Coordinator.CHECK_TIMEOUT.plus(Coordinator.MAJORITY_TIMEOUT).plusSeconds(5);

    private final FleetSettings settings;
    private final ActorRef<ActorRunner.Command> runner;
    private final FleetHost host;
    private final Config base;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "actor-runner-fleet");
        t.setDaemon(true);
        return t;
    });
    /** The fleet's own system running now; null when not, or when joined to a host's ({@link #join}). */
    private volatile ActorSystem<FleetNode.Command> system;
    /** Where this node is in its fleet now: null while starting or rejoining. */
    private volatile Joined joined;
    private volatile boolean closing;
    private volatile int incarnations;
    private Duration backoff = BACKOFF_MIN;
    /** The other members last seen up: a restarted system rejoins through them (FleetConfig.rejoinSeeds). */
    private volatile Set<String> lastSeen = Set.of();
    /** The reloads this node's fleet steps asked the runner for: a resent step follows them (each fleet system forgets). */
    private final AskedReloads asked = new AskedReloads();
    /** Control requests waiting for the fleet system's answer (see untilLeft). */
    private final Set<CompletableFuture<Reply>> pending = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Why this node left its fleet for good (another member has its name): not started again. */
    private volatile String refused = "";

    private Fleet(FleetSettings settings, ActorRef<ActorRunner.Command> runner, FleetHost host, Config base) {
        this.settings = settings;
        this.runner = runner;
        this.host = host;
        this.base = base;
    }

    /**
     * Joins the fleet of {@code settings} (on a thread of its own: returns at once) as the fleet
     * agent of {@code runner}, an actor of another ActorSystem in this JVM.
     *
     * @param base Akka settings both systems share (logging), under the fleet's own
     */
    public static Fleet start(FleetSettings settings, ActorRef<ActorRunner.Command> runner, FleetHost host, Config base) {
        Fleet fleet = new Fleet(settings, runner, host, base);
        fleet.thread.execute(fleet::startSystem);
        return fleet;
    }

    /** A member of the fleet: the system of its cluster, this node's agent, the coordinator singleton's proxy. */
    private record Joined(ActorSystem<?> system, ActorRef<FleetNode.Command> agent, ActorRef<Coordinator.Command> coordinator) {}

    /**
     * Joins the fleet as the agent of {@code runner} inside {@code hostSystem}, an ActorSystem that
     * is already a member of the host's Akka Cluster (its name, seeds, TLS and downing are the
     * host's): the agent is spawned there and the coordinator singleton initialised there, and no
     * system of the fleet's own is started. The host's config must carry
     * {@link FleetConfig#embedded} (the fleet's serializer and this node's fleet-name role); every
     * node of the fleet joins this way, in one cluster. Of {@code settings} only the name and the
     * roll's timings count: bind, seeds and TLS are the host's. If the host's node is downed, its
     * system ends with this node's part of the fleet; the host decides what comes next.
     *
     * @throws IllegalArgumentException when {@code hostSystem} is not a cluster member configured for the fleet
     */
    public static Fleet join(ActorSystem<?> hostSystem, FleetSettings settings, ActorRef<ActorRunner.Command> runner,
                             FleetHost host) {
        java.util.Objects.requireNonNull(runner, "runner");
        String problem = FleetConfig.embeddingProblem(hostSystem, settings);
        if (!problem.isEmpty()) throw new IllegalArgumentException(problem);
        Fleet fleet = new Fleet(settings, runner, host, hostSystem.settings().config());
        fleet.closing = true; // nothing of the host's is ever started again by this class
        FleetNode.Watcher watcher = new FleetNode.Watcher() {
            @Override
            public void refused(String why) {
                fleet.refused = why;
            }
        };
        ActorRef<FleetNode.Command> agent = hostSystem.systemActorOf(
                FleetNode.create(settings.name(), runner, host, watcher, fleet.asked, false), "actor-runner-fleet-agent", Props.empty());
        fleet.joined = new Joined(hostSystem, agent, initCoordinator(hostSystem, settings));
        hostSystem.getWhenTerminated().thenRun(fleet::leftFleet);
        fleet.incarnations = 1;
        log.info("fleet: node {} joined the fleet in the cluster of {}", settings.name(),
                Cluster.get(hostSystem).selfMember().address());
        return fleet;
    }

    /**
     * On every node: the singleton runs on the oldest, and moves when that one leaves or is downed.
     * In a host's cluster, on the oldest runner's node (the fleet's role): a singleton runs only
     * where it was initialised, and the oldest member may run no runner. Supervised: the singleton
     * manager does not restart a coordinator that failed, and every fleet reload would then time
     * out until the oldest node left. It owns no process and re-reads the plan when it starts, so a
     * restart is safe.
     */
    private static ActorRef<Coordinator.Command> initCoordinator(ActorSystem<?> system, FleetSettings settings) {
        SingletonActor<Coordinator.Command> coordinator = SingletonActor.of(
                Behaviors.supervise(Coordinator.create(settings)).onFailure(
                        SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2)),
                "fleet-coordinator");
        if (Cluster.get(system).selfMember().getRoles().contains(FleetConfig.FLEET_ROLE)) {
            coordinator = coordinator.withSettings(ClusterSingletonSettings.create(system).withRole(FleetConfig.FLEET_ROLE));
        }
        return ClusterSingleton.get(system).init(coordinator);
    }

    /** The CLI's base for the fleet system: logs through slf4j only, Akka's defaults otherwise. */
    public static Config cliBase() {
        return ConfigFactory.parseString("""
                akka {
                  loggers = ["akka.event.slf4j.Slf4jLogger"]
                  logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
                  loglevel = INFO
                  stdout-loglevel = OFF
                  scheduler.tick-duration = 50ms
                }
                """).withFallback(ConfigFactory.load());
    }

    /** How many fleet systems were started so far (1 after the first start). */
    public int incarnations() {
        return incarnations;
    }

    /** The fleet system running now, if any: for tests and the embedding host. */
    public ActorSystem<FleetNode.Command> system() {
        return system;
    }

    private void startSystem() {
        if (closing) return;
        long startedAt = System.nanoTime();
        ActorSystem<FleetNode.Command> started = null;
        // The first start uses the seeds as configured; a restart never lets this node form a fleet alone.
        List<String> seeds = incarnations == 0 ? FleetConfig.seedAddresses(settings) : FleetConfig.rejoinSeeds(settings, lastSeen);
        FleetNode.Watcher watcher = new FleetNode.Watcher() {
            @Override
            public void membersSeen(Set<String> addresses) {
                if (!addresses.isEmpty()) lastSeen = Set.copyOf(addresses);
            }

            @Override
            public void refused(String why) {
                refused = why;
            }
        };
        try {
            started = ActorSystem.create(FleetNode.create(settings.name(), runner, host, watcher, asked, true), FleetConfig.SYSTEM_NAME,
                    FleetConfig.of(settings, base, seeds));
            joined = new Joined(started, started, initCoordinator(started, settings));
        } catch (Exception | LinkageError e) {
            if (started != null) started.terminate(); // half started: its port must be free for the next try
            // Anything: a scheduled task that throws is dropped silently, and the node would never rejoin.
            log.warn("fleet: could not start at {}:{} ({}); trying again in {}s", settings.bind().host(),
                    settings.bind().port(), e, backoff.toSeconds());
            restartLater();
            return;
        }
        incarnations++;
        system = started;
        log.info("fleet: node {} at {}, seeds {}, {}", settings.name(), FleetConfig.address(settings.bind()),
                seeds, settings.tls().isPresent() ? "mutual TLS" : "plain tcp");
        ActorSystem<FleetNode.Command> up = started;
        up.getWhenTerminated().thenRun(() -> {
            leftFleet();
            thread.execute(() -> onTerminated(up, startedAt));
        });
    }

    private void onTerminated(ActorSystem<FleetNode.Command> ended, long startedAt) {
        if (system == ended) {
            system = null;
            joined = null;
        }
        if (closing) return;
        if (!refused.isEmpty()) {
            log.error("fleet: node {} does not rejoin its fleet: {}", settings.name(), refused);
            return;
        }
        if (Duration.ofNanos(System.nanoTime() - startedAt).compareTo(BACKOFF_RESET) >= 0) backoff = BACKOFF_MIN;
        log.warn("fleet: node {} left the fleet (downed, or its fleet system failed); the workers serve on;"
                + " joining again in {}s", settings.name(), backoff.toSeconds());
        restartLater();
    }

    private void restartLater() {
        Duration delay = backoff;
        backoff = backoff.multipliedBy(2).compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : backoff.multipliedBy(2);
        thread.schedule(this::startSystem, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletionStage<Reply> handle(Map<String, Object> request, Consumer<String> progress) {
        Joined j = joined;
        if (!refused.isEmpty()) return done(2, "this node is not in its fleet: " + refused);
        if (j == null || j.system().whenTerminated().isCompleted()) {
            return done(2, "this node is not in its fleet now (starting, or rejoining after it was downed)");
        }
        ActorSystem<?> s = j.system();
        ActorRef<Coordinator.Command> coord = j.coordinator();
        String action = String.valueOf(request.get("action"));
        return untilLeft(s, switch (action) {
            case "status" -> AskPattern.<FleetNode.Command, FleetStatus>ask(j.agent(), FleetNode.GetFleetStatus::new, ASK_TIMEOUT, s.scheduler())
                    .handle((status, failure) -> status != null
                            ? new Reply(0, status.summary() + "\n" + FleetStatus.table(status.toJson()), Map.of("fleet", status.toJson()))
                            : new Reply(2, "this node's fleet agent did not answer within " + ASK_TIMEOUT.toSeconds() + "s", Map.of()));
            case "reload" -> reload(j, FleetRequest.reload(request, settings), progress);
            case "promote" -> answer(s, coord, Coordinator.Promote::new);
            case "abort" -> answer(s, coord, Coordinator.Abort::new);
            default -> done(2, "unknown fleet action \"" + action + "\"");
        });
    }

    /**
     * {@code answer}, or exit 1 if this node's fleet system ends first (downed, as the minority side
     * of a partition is): an ask's timeout is a task of that system's scheduler, which ends with it
     * without running it, so the client would otherwise wait for good. Whether the request was
     * carried out (a roll the coordinator accepted, whose answer was lost) is not known here. The
     * request waits in {@link #pending} (not as a callback on the system's end, which would keep
     * every request ever made until then).
     */
    private CompletionStage<Reply> untilLeft(ActorSystem<?> s, CompletionStage<Reply> answer) {
        CompletableFuture<Reply> first = new CompletableFuture<>();
        pending.add(first);
        answer.whenComplete((reply, failure) -> {
            pending.remove(first);
            if (failure != null) first.completeExceptionally(failure); else first.complete(reply);
        });
        if (s.whenTerminated().isCompleted()) leftFleet(); // it ended before the request was added
        return first;
    }

    /** Control requests waiting for an answer now (for tests: none is kept once answered). */
    int pendingRequests() {
        return pending.size();
    }

    /** This node's fleet system ended: the requests that wait for it are answered now. */
    private void leftFleet() {
        for (CompletableFuture<Reply> waiting : pending) {
            pending.remove(waiting);
            waiting.complete(new Reply(1, "this node left its fleet (downed?) before the answer came; whether the request"
                    + " was carried out is not known here: see `actor-runner fleet status`", Map.of()));
        }
    }

    private CompletionStage<Reply> reload(Joined j, FleetRequest.Reload r, Consumer<String> progress) {
        ActorSystem<?> s = j.system();
        ActorRef<Coordinator.Command> coord = j.coordinator();
        if (!r.problem().isEmpty()) return done(2, r.problem());
        // Fail fast on the minority side of a partition: its coordinator could not write the plan anyway.
        List<String> unreachable = s.classicSystem() == null ? List.of()
                : akka.cluster.Cluster.get(s.classicSystem()).state().getUnreachable().stream().filter(Fleetwide::inFleet).map(FleetStatus::nameOf).sorted().toList();
        if (!unreachable.isEmpty()) return done(2, "unreachable members: " + String.join(", ", unreachable) + "; nothing reloaded");
        CompletionStage<Reply> accepted = AskPattern.<Coordinator.Command, Coordinator.RollAnswer>ask(coord,
                replyTo -> new Coordinator.StartRoll(r.jar(), r.sha256(), r.maxParallel(), r.canary(), replyTo),
                START_TIMEOUT, s.scheduler())
                .handle((answer, failure) -> answer != null ? new Reply(answer.code(), answer.message(), Map.of("plan", answer.planId()))
                        : new Reply(2, "the fleet's coordinator did not answer within " + START_TIMEOUT.toSeconds()
                                + "s (no quorum?); nothing reloaded", Map.of()));
        if (!r.await()) return accepted;
        return accepted.thenCompose(reply -> {
            if (reply.exitCode() != 0) return CompletableFuture.completedFuture(reply);
            progress.accept(reply.message());
            CompletableFuture<Reply> end = new CompletableFuture<>();
            j.agent().tell(new FleetNode.Follow(String.valueOf(reply.data().get("plan")), progress, end));
            // A roll ends by progress-deadline at the latest; a follower is never left waiting longer.
            Duration bound = settings.progressDeadline().plusMinutes(1);
            return end.completeOnTimeout(new Reply(1, "no end of the roll seen within " + bound.toMinutes()
                    + " min (progress-deadline + 1 min); see `actor-runner fleet status`", Map.of()),
                    bound.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    private static CompletionStage<Reply> answer(ActorSystem<?> s, ActorRef<Coordinator.Command> coord,
                                                 java.util.function.Function<ActorRef<Coordinator.RollAnswer>, Coordinator.Command> make) {
        return AskPattern.<Coordinator.Command, Coordinator.RollAnswer>ask(coord, make::apply, ASK_TIMEOUT, s.scheduler())
                .handle((answer, failure) -> answer != null ? new Reply(answer.code(), answer.message(), Map.of())
                        : new Reply(2, "the fleet's coordinator did not answer within " + ASK_TIMEOUT.toSeconds() + "s", Map.of()));
    }

    private static CompletionStage<Reply> done(int code, String message) {
        return CompletableFuture.completedFuture(new Reply(code, message, Map.of()));
    }

    /**
     * Leaves the fleet (the runner is stopping): the fleet's own system ends and is not started
     * again; joined to a host's cluster, only this node's agent stops (the host's system, its
     * membership and the coordinator singleton are the host's).
     */
    @Override
    public void close() {
        closing = true;
        Joined j = joined;
        if (j != null && j.system() != system) j.agent().tell(FleetNode.Stop.INSTANCE);
        ActorSystem<FleetNode.Command> s = system;
        if (s != null) {
            s.terminate();
            try {
                s.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("fleet: the fleet system did not end within 10s");
            }
        }
        thread.shutdownNow();
    }
}
