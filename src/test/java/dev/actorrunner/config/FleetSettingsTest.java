package dev.actorrunner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetSettingsTest {

    @TempDir
    Path dir;

    private SettingsLoader demo() {
        return new SettingsLoader(Map.of()).demo(true);
    }

    private static List<String> problems(SettingsLoader loader) {
        return assertThrows(InvalidSettingsException.class, loader::load).problems();
    }

    @Test
    void noFleetUnlessBindIsSet() throws InvalidSettingsException {
        assertFalse(demo().load().fleet().enabled());
    }

    @Test
    void flagsMakeAFleetOnLoopbackInPlainTcp() throws InvalidSettingsException {
        FleetSettings f = demo().flag("fleet.bind", "--fleet-bind", "127.0.0.1:2551")
                .flag("fleet.seeds", "--fleet-seeds", "127.0.0.1:2551, 127.0.0.1:2552")
                .flag("fleet.name", "--fleet-name", "web-1").load().fleet();
        assertTrue(f.enabled());
        assertEquals("web-1", f.name());
        assertEquals(new RunnerSettings.HostPort("127.0.0.1", 2551), f.bind());
        assertEquals(List.of(new RunnerSettings.HostPort("127.0.0.1", 2551), new RunnerSettings.HostPort("127.0.0.1", 2552)),
                f.seeds());
        assertTrue(f.tls().isEmpty());
        assertEquals(Duration.ofSeconds(10), f.minHealthyTime());
        assertEquals(1, f.maxParallel());
    }

    @Test
    void withoutSeedsANodeIsItsOwnSeed() throws InvalidSettingsException {
        FleetSettings f = demo().flag("fleet.bind", "--fleet-bind", "127.0.0.1:2551").load().fleet();
        assertEquals(List.of(f.bind()), f.seedsOrSelf());
        assertFalse(f.name().isEmpty(), "the host name by default");
    }

    @Test
    void aNonLoopbackBindWithoutTlsIsRefusedInOneLine() {
        assertEquals(List.of("--fleet-bind: 10.0.0.5 is not a loopback address: give fleet.tls-key, fleet.tls-cert"
                        + " and fleet.tls-ca (mutual TLS), or set fleet.insecure = on to run it in the clear"),
                problems(demo().flag("fleet.bind", "--fleet-bind", "10.0.0.5:2551")));
    }

    @Test
    void insecureOnPurposeAllowsPlainTcpElsewhere() throws IOException, InvalidSettingsException {
        Path conf = Files.writeString(dir.resolve("r.conf"), "actor-runner.fleet { insecure = on }");
        FleetSettings f = demo().configFile(conf).flag("fleet.bind", "--fleet-bind", "10.0.0.5:2551").load().fleet();
        assertTrue(f.insecure());
    }

    @Test
    void tlsFilesMustAllBeGivenAndExist() throws IOException, InvalidSettingsException {
        Path key = Files.writeString(dir.resolve("tls.key"), "k");
        Path cert = Files.writeString(dir.resolve("tls.crt"), "c");
        Path conf = Files.writeString(dir.resolve("r.conf"), "actor-runner.fleet { tls-key = \"" + key + "\"\n tls-cert = \""
                + cert + "\" }");
        assertEquals(List.of("config: actor-runner.fleet.tls-key: fleet.tls-key, fleet.tls-cert and fleet.tls-ca go together: give all three",
                        "--fleet-bind: 10.0.0.5 is not a loopback address: give fleet.tls-key, fleet.tls-cert"
                                + " and fleet.tls-ca (mutual TLS), or set fleet.insecure = on to run it in the clear"),
                problems(demo().configFile(conf).flag("fleet.bind", "--fleet-bind", "10.0.0.5:2551")));
        Path missing = dir.resolve("ca.crt");
        Files.writeString(conf, "actor-runner.fleet { tls-key = \"" + key + "\"\n tls-cert = \"" + cert
                + "\"\n tls-ca = \"" + missing + "\" }");
        assertEquals(List.of("config: actor-runner.fleet.tls-ca: " + missing + ": no such file"),
                problems(demo().configFile(conf).flag("fleet.bind", "--fleet-bind", "10.0.0.5:2551")));
        Files.writeString(missing, "ca");
        FleetSettings f = demo().configFile(conf).flag("fleet.bind", "--fleet-bind", "10.0.0.5:2551").load().fleet();
        assertEquals(new FleetSettings.Tls(key, cert, missing), f.tls().orElseThrow());
    }

    @Test
    void badValuesAreNamed() {
        assertEquals(List.of("--fleet-bind: needs a fixed port: the other nodes list it among their seeds",
                        "--fleet-seeds: expected HOST:PORT,... (the fleet addresses of the seed nodes), got \"a:b\"",
                        "--fleet-name: expected a name of letters, digits, '.', '_' and '-', got \"web 1\""),
                problems(demo().flag("fleet.bind", "--fleet-bind", "127.0.0.1:0").flag("fleet.seeds", "--fleet-seeds", "a:b")
                        .flag("fleet.name", "--fleet-name", "web 1")));
    }

    @Test
    void unknownKeysInTheFleetBlockAreErrors() throws IOException {
        Path conf = Files.writeString(dir.resolve("r.conf"), "actor-runner.fleet { bind = \"127.0.0.1:2551\", seed = [] }");
        assertEquals(List.of("config: unknown key actor-runner.fleet.seed"), problems(demo().configFile(conf)));
    }

    @Test
    void loopbackIsTextual() {
        assertTrue(FleetSettings.isLoopback("127.0.0.1"));
        assertTrue(FleetSettings.isLoopback("127.5.0.1"));
        assertTrue(FleetSettings.isLoopback("::1"));
        assertTrue(FleetSettings.isLoopback("localhost"));
        assertFalse(FleetSettings.isLoopback("0.0.0.0"));
        assertFalse(FleetSettings.isLoopback("web-1.internal"));
        assertTrue(FleetSettings.isLoopback("127.255.255.254"));
        assertTrue(FleetSettings.isLoopback("[::1]"));
    }

    @Test
    void aNameThatBeginsWith127IsNotLoopback() {
        assertFalse(FleetSettings.isLoopback("127.example.com"));
        assertFalse(FleetSettings.isLoopback("127.0.0.1.nip.io"));
        assertFalse(FleetSettings.isLoopback("127.0.0.256"));
        assertEquals(List.of("--fleet-bind: 127.evil.example is not a loopback address: give fleet.tls-key, fleet.tls-cert"
                        + " and fleet.tls-ca (mutual TLS), or set fleet.insecure = on to run it in the clear"),
                problems(demo().flag("fleet.bind", "--fleet-bind", "127.evil.example:2551")));
    }

    @Test
    void aWildcardFleetBindIsRefusedInOneLine() throws IOException {
        assertEquals(List.of("--fleet-bind: 0.0.0.0 is every interface, not an address the other nodes can reach:"
                        + " give this machine's own address (10.0.0.1:2551)"),
                problems(demo().flag("fleet.bind", "--fleet-bind", "0.0.0.0:2551")));
        Path conf = Files.writeString(dir.resolve("r.conf"), "actor-runner.fleet { insecure = on }");
        assertEquals(1, problems(demo().configFile(conf).flag("fleet.bind", "--fleet-bind", "[::]:2551")).size(),
                "refused even in the clear on purpose");
    }
}
