package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The packaged jar, as the README's first command runs it. Needs `mvn package` (failsafe runs after it). */
class JarIT {
    private static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar"));
    private RunnerProcess runner;

    @AfterEach
    void kill() {
        if (runner != null) runner.close();
    }

    @Test
    void demoRunsTwoWorkersThatAnswerWithTheirPidAndStopsOnSigterm() throws Exception {
        runner = RunnerProcess.startJar(JAR, List.of("--demo", "-p", "0"));
        List<Worker> workers = runner.awaitInRotation(2, Duration.ofSeconds(60));
        for (Worker w : workers) {
            assertEquals("hello from pid " + w.pid(), Http.get(w.port()).trim());
        }
        int port = runner.publicPort(Duration.ofSeconds(10));
        java.util.Set<String> answers = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) answers.add(Http.get(port).trim());
        assertEquals(workers.stream().map(w -> "hello from pid " + w.pid()).collect(java.util.stream.Collectors.toSet()),
                answers, "the public port reaches both workers");
        runner.signal("TERM");
        assertEquals(0, runner.awaitExit(Duration.ofSeconds(30)), runner.output());
        workers.forEach(w -> assertFalse(RunnerProcess.alive(w.pid())));
    }

    @Test
    void everyAkkaReferenceConfIsMergedIntoTheJar() throws Exception {
        try (JarFile jar = new JarFile(JAR.toFile());
             InputStream in = jar.getInputStream(jar.getEntry("reference.conf"))) {
            Config merged = ConfigFactory.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertTrue(merged.hasPath("akka.actor.default-dispatcher"), "akka-actor");
            assertTrue(merged.hasPath("akka.actor.typed"), "akka-actor-typed");
            assertTrue(merged.hasPath("actor-runner.workers"), "our own");
            assertEquals("dev.actorrunner.cli.Main", jar.getManifest().getMainAttributes().getValue("Main-Class"));
            assertEquals("true", jar.getManifest().getMainAttributes().getValue("Multi-Release"));
        }
    }

    /** Each missing one would show only when its path runs: a class named in config, a service file, a native library, a feature's jar. */
    @Test
    void theJarHoldsWhatTheRunnerLoadsAndNoAkkaStreams() throws Exception {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (String entry : List.of(
                    "logback.xml", "logback-json.xml",                             // conf/, the built-in logging
                    "akka/event/slf4j/Slf4jLogger.class",                          // named in the Akka config only
                    "META-INF/native/libnetty_transport_native_epoll_x86_64.so",   // the front's epoll transport
                    "io/netty/handler/codec/http/HttpServerCodec.class",           // http mode
                    "com/fasterxml/jackson/jr/ob/JSON.class",                      // the control protocol's JSON
                    "com/fasterxml/jackson/core/JsonFactory.class",
                    "io/prometheus/metrics/exporter/httpserver/HTTPServer.class",  // --metrics
                    "picocli/CommandLine.class")) {
                assertTrue(jar.getEntry(entry) != null, entry);
            }
            try (InputStream in = jar.getInputStream(jar.getEntry("META-INF/services/org.slf4j.spi.SLF4JServiceProvider"))) {
                assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("ch.qos.logback.classic.spi.LogbackServiceProvider"),
                        "slf4j 2 finds logback through this service file, or logs nothing");
            }
            // Akka Streams comes in with Artery (akka-remote), the fleet's transport (issue 15), and only
            // for it: the runner's own system never materializes a stream (the front is Netty).
            assertTrue(jar.getEntry("akka/remote/artery/ArteryTransport.class") != null, "Artery, the fleet's transport");
            assertTrue(jar.getEntry("akka/cluster/sbr/SplitBrainResolverProvider.class") != null, "the fleet's downing");
            assertTrue(jar.getEntry("dev/actorrunner/fleet/FleetSerializer.class") != null, "the fleet's serializer");
            List<String> unwanted = jar.stream().map(JarEntry::getName)
                    .filter(n -> n.startsWith("org/lmdbjava/") || n.startsWith("jnr/")).limit(3).toList();
            assertEquals(List.of(), unwanted, "lmdbjava serves only durable Distributed Data keys, which the fleet does not use");
        }
    }

    @Test
    void thePlainLibraryJarIsBuiltBesideTheRunnableOne() throws Exception {
        try (var files = Files.list(JAR.getParent())) {
            Path lib = files.filter(p -> p.getFileName().toString().matches("actor-runner-[0-9].*[0-9T]\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError("no plain jar in " + JAR.getParent()));
            try (JarFile jar = new JarFile(lib.toFile())) {
                assertTrue(jar.getEntry("dev/actorrunner/ActorRunner.class") != null);
                assertTrue(jar.getEntry("akka/actor/typed/Behavior.class") == null, "no dependencies inside");
            }
        }
    }
}
