package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ddata.Key;
import akka.cluster.ddata.LWWRegister;
import akka.cluster.ddata.LWWRegisterKey;
import akka.cluster.ddata.SelfUniqueAddress;
import akka.cluster.ddata.typed.javadsl.Replicator;
import java.time.Duration;
import java.util.Optional;

/**
 * The fleet's plan in Distributed Data, read and written with a majority: the coordinator's child,
 * so that the coordinator's protocol can be tested against a register in memory.
 */
final class PlanRegister {
    private PlanRegister() {}

    static final Key<LWWRegister<Plan>> PLAN = LWWRegisterKey.create("actor-runner-fleet-plan");
    static final Duration MAJORITY_TIMEOUT = Duration.ofSeconds(5);

    sealed interface Command {}

    /** Reads the plan from a majority; {@code replyTo} gets a {@link ReadResult}. */
    record Read(ActorRef<ReadResult> replyTo) implements Command {}

    /** The plan a majority holds ({@link Plan#NONE} if none was ever written); empty: no majority answered. */
    record ReadResult(Optional<Plan> plan) {}

    /** Writes {@code plan} to a majority; {@code replyTo} gets a {@link Written}. */
    record Write(Plan plan, ActorRef<Written> replyTo) implements Command {}

    /** Whether {@code plan} reached a majority. */
    record Written(Plan plan, boolean ok) {}

    private record Got(Replicator.GetResponse<LWWRegister<Plan>> response, ActorRef<ReadResult> replyTo) implements Command {}

    private record Updated(Plan plan, Replicator.UpdateResponse<LWWRegister<Plan>> response, ActorRef<Written> replyTo)
            implements Command {}

    /** The register in the fleet system's Distributed Data. */
    static Behavior<Command> distributed() {
        return Behaviors.setup(context -> FleetData.<Command, LWWRegister<Plan>>withReplicatorMessageAdapter(replicator -> {
            SelfUniqueAddress self = FleetData.get(context.getSystem()).selfUniqueAddress();
            return Behaviors.receive(Command.class)
                    .onMessage(Read.class, m -> {
                        replicator.askGet(r -> new Replicator.Get<>(PLAN, new Replicator.ReadMajority(MAJORITY_TIMEOUT), r),
                                response -> new Got(response, m.replyTo()));
                        return Behaviors.same();
                    })
                    .onMessage(Got.class, m -> {
                        if (m.response() instanceof Replicator.GetSuccess<LWWRegister<Plan>> ok) {
                            m.replyTo().tell(new ReadResult(Optional.of(ok.get(PLAN).getValue())));
                        } else {
                            // NotFound: never written; GetFailure: no majority answered.
                            m.replyTo().tell(new ReadResult(m.response() instanceof Replicator.NotFound
                                    ? Optional.of(Plan.NONE) : Optional.empty()));
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Write.class, m -> {
                        replicator.askUpdate(r -> new Replicator.Update<>(PLAN, LWWRegister.create(self, Plan.NONE),
                                new Replicator.WriteMajority(MAJORITY_TIMEOUT), r, reg -> reg.withValue(self, m.plan())),
                                response -> new Updated(m.plan(), response, m.replyTo()));
                        return Behaviors.same();
                    })
                    .onMessage(Updated.class, m -> {
                        m.replyTo().tell(new Written(m.plan(), m.response() instanceof Replicator.UpdateSuccess));
                        return Behaviors.same();
                    })
                    .build();
        }));
    }
}
