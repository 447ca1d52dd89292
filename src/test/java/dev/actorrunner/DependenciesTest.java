package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way: cli -> the facade and runner (this package) -> supervisor ->
 * {process, probe, front}. Read from the compiled classes with the JDK's jdeps, so a fully
 * qualified name or a lambda counts as much as an import.
 */
class DependenciesTest {
    private static final Path CLASSES = Path.of("target", "classes");
    private static final Set<String> ENGINE = Set.of("dev.actorrunner.supervisor", "dev.actorrunner.process",
            "dev.actorrunner.probe", "dev.actorrunner.front");

    /** "from -> to" for every package of this project that uses another one. */
    private static Set<String> edges() {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("no jdeps in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none",
                "-e", "dev\\.actorrunner.*", CLASSES.toString());
        assertEquals(0, code, err.toString());
        Pattern edge = Pattern.compile("^\\s+(dev\\.actorrunner[\\w.]*)\\s+->\\s+(dev\\.actorrunner[\\w.]*)\\s");
        Set<String> edges = new TreeSet<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = edge.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) edges.add(m.group(1) + " -> " + m.group(2));
        }
        return edges;
    }

    @Test
    void noEnginePackageUsesTheFacadeOrTheCommandLine() {
        assertTrue(Files.isDirectory(CLASSES.resolve("dev/actorrunner/supervisor")), "compiled classes in " + CLASSES);
        Set<String> edges = edges();
        assertTrue(edges.contains("dev.actorrunner -> dev.actorrunner.supervisor"), "jdeps sees the packages: " + edges);
        List<String> upward = edges.stream().filter(e -> {
            String[] fromTo = e.split(" -> ");
            return ENGINE.contains(fromTo[0]) && (fromTo[1].equals("dev.actorrunner")
                    || fromTo[1].equals("dev.actorrunner.cli") || fromTo[1].equals("dev.actorrunner.control"));
        }).toList();
        assertEquals(List.of(), upward, "engine packages must not use the facade, cli or control");
    }

    @Test
    void theFacadeDoesNotUseTheCommandLine() {
        assertTrue(edges().stream().noneMatch(e -> e.startsWith("dev.actorrunner -> dev.actorrunner.cli")
                || e.startsWith("dev.actorrunner -> dev.actorrunner.control")), edges().toString());
    }
}
