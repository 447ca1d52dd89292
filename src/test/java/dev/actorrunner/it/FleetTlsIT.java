package dev.actorrunner.it;

import dev.actorrunner.fixtures.FleetPorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.Reaper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's mutual TLS (Artery tls-tcp, PEM files made with openssl): two nodes whose
 * certificates one CA signed form a fleet; a third, signed by another CA, cannot join. And a fleet
 * bound to an address other than loopback without TLS files does not start.
 */
class FleetTlsIT {
    private static final Duration FORM = Duration.ofSeconds(120);

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + cmd + ": "
                + Files.readString(dir.resolve("openssl.log")));
    }

    private static boolean hasOpenssl() {
        try {
            return new ProcessBuilder("openssl", "version").start().waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    /** A CA, and a node key and certificate it signs, with the subject name every node shares. */
    private Path nodeConfig(String node, String ca) throws Exception {
        if (!Files.exists(dir.resolve(ca + ".crt"))) {
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt",
                    "-days", "2", "-subj", "/CN=" + ca);
        }
        Files.writeString(dir.resolve("san.cnf"), "subjectAltName=DNS:actor-runner-fleet\n");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", node + ".key", "-out", node + ".csr", "-subj", "/CN=" + node);
        openssl("x509", "-req", "-in", node + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", node + ".crt", "-days", "2", "-extfile", "san.cnf");
        // Every node trusts the first CA: the third node's certificate is not signed by it.
        return Files.writeString(dir.resolve(node + ".conf"), "actor-runner.fleet { tls-key = \"" + dir.resolve(node + ".key")
                + "\", tls-cert = \"" + dir.resolve(node + ".crt") + "\", tls-ca = \"" + dir.resolve("ca.crt")
                + "\", heartbeat-pause = 15s, stable-after = 20s }\n");
    }


    @SuppressWarnings("unchecked")
    private Map<String, Object> fleetStatus(String node) {
        Cli.Result r = Cli.run(Map.of(), "fleet", "status", "--json", "--control-socket", dir.resolve(node + ".sock").toString());
        return r.code() == 0 ? (Map<String, Object>) Json.parse(r.out().strip()) : Map.of();
    }

    @Test
    void onlyNodesWhoseCertificatesTheFleetsCaSignedJoin() throws Exception {
        assumeTrue(hasOpenssl(), "openssl makes the test's certificates");
        List<String> nodes = List.of("n1", "n2", "n3");
        List<Path> configs = List.of(nodeConfig("n1", "ca"), nodeConfig("n2", "ca"), nodeConfig("n3", "other"));
        List<Integer> ports = FleetPorts.free(3);
        String seeds = "127.0.0.1:" + ports.get(0) + ",127.0.0.1:" + ports.get(1) + ",127.0.0.1:" + ports.get(2);
        List<RunnerProcess> runners = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> args = new ArrayList<>(List.of("-w", "1", "-p", "0", "--config", configs.get(i).toString(),
                    "--control-socket", dir.resolve(nodes.get(i) + ".sock").toString(),
                    "--fleet-bind", "127.0.0.1:" + ports.get(i), "--fleet-seeds", seeds, "--fleet-name", nodes.get(i)));
            args.addAll(RunnerProcess.demo());
            runners.add(reaper.closeLater(RunnerProcess.start(args)));
        }
        for (int i = 0; i < 2; i++) {
            String node = nodes.get(i);
            runners.get(i).await(() -> Long.valueOf(2).equals(fleetStatus(node).get("members")), FORM,
                    node + " to see the two nodes of its CA");
        }
        runners.get(2).awaitLine(l -> l.contains("SSLHandshakeException") || l.contains("certificate"), FORM,
                "n3's handshakes to fail");
        assertEquals(2L, fleetStatus("n1").get("members"), "n3 never joined: " + fleetStatus("n1"));
        // Artery keeps one outbound connection per direction, so the joins above would pass even if
        // a node never asked for a client certificate: a client that trusts the CA but presents none
        // must be refused by the fleet port itself.
        assertRefusesAClientWithoutACertificate(ports.get(0));
        assertAcceptsAClientWithTheNodesCertificate(ports.get(1)); // the same client, with a key: the check can tell
        assertTrue(runners.get(2).output().contains("mutual TLS"), runners.get(2).output());
        runners.get(2).awaitInRotation(1, FORM); // its own workers serve all the same
    }

    /**
     * A plain JSSE client: it trusts the fleet's CA (so the server's certificate is not what fails)
     * and has no key of its own. In TLS 1.3 the server judges the client's (empty) certificate after
     * the client's side of the handshake ended, so the refusal may come with the first read: an
     * alert or the connection closed. Accepted, the port would wait for Artery's header instead,
     * and the read would time out.
     */
    private void assertRefusesAClientWithoutACertificate(int port) throws Exception {
        javax.net.ssl.SSLContext tls = clientTls(null);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            socket.startHandshake();
            socket.getOutputStream().write("AKKA".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            int read = socket.getInputStream().read();
            assertEquals(-1, read, "the fleet port answered a client without a certificate");
        } catch (javax.net.ssl.SSLException | java.net.SocketException refused) {
            // refused: an alert (bad_certificate, certificate_required) or the connection reset
        } catch (java.net.SocketTimeoutException accepted) {
            throw new AssertionError("the fleet port accepted a TLS client without a certificate", accepted);
        }
    }

    /** With n1's key and certificate the handshake passes, and the port waits for Artery's header. */
    private void assertAcceptsAClientWithTheNodesCertificate(int port) throws Exception {
        String pem = Files.readString(dir.resolve("n1.key")).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        java.security.PrivateKey key = java.security.KeyFactory.getInstance("RSA")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(java.util.Base64.getDecoder().decode(pem)));
        java.security.cert.Certificate cert;
        try (java.io.InputStream in = Files.newInputStream(dir.resolve("n1.crt"))) {
            cert = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("n1", key, new char[0], new java.security.cert.Certificate[] {cert});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) clientTls(kmf.getKeyManagers()).getSocketFactory()
                .createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(3_000);
            socket.startHandshake();
            socket.getInputStream().read();
            throw new AssertionError("the fleet port closed a connection from a client with a node's certificate");
        } catch (java.net.SocketTimeoutException accepted) {
            // the port waits for Artery's header: the client was let in
        }
    }

    private javax.net.ssl.SSLContext clientTls(javax.net.ssl.KeyManager[] keyManagers) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        trust.load(null, null);
        try (java.io.InputStream in = Files.newInputStream(dir.resolve("ca.crt"))) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(keyManagers, tmf.getTrustManagers(), null);
        return tls;
    }

    @Test
    void aFleetOnAnAddressOtherThanLoopbackWithoutTlsDoesNotStart() throws Exception {
        List<String> args = new ArrayList<>(List.of("-p", "0", "--control-socket", "off", "--fleet-bind", "10.255.255.1:2551"));
        args.addAll(RunnerProcess.demo());
        RunnerProcess r = reaper.closeLater(RunnerProcess.start(args));
        assertEquals(2, r.awaitExit(Duration.ofSeconds(60)), r.output());
        assertTrue(r.output().contains("--fleet-bind: 10.255.255.1 is not a loopback address"), r.output());
        assertTrue(r.everListening().isEmpty(), "no worker started");
    }
}
