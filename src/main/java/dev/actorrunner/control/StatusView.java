package dev.actorrunner.control;

import dev.actorrunner.RunnerStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The status as {@code status --json} prints it (built by the runner from {@link RunnerStatus}
 * and what the host knows), and the table {@code status} prints from that same JSON, so the two
 * never disagree. Times are ISO-8601 instants and durations in seconds, measured by the runner.
 */
public final class StatusView {

    private StatusView() {}

    /** What the runner's host knows that the runner actor does not. */
    public record HostInfo(long pid, String version, List<String> addresses, String controlSocket,
                           String metrics) {
        public HostInfo {
            addresses = List.copyOf(addresses);
        }

        HostInfo withControlSocket(String path) {
            return new HostInfo(pid, version, addresses, path, metrics);
        }
    }

    static Map<String, Object> toJson(RunnerStatus s, HostInfo host, Map<Long, ProcessStats.Usage> usage,
                                      ProcessStats.Usage runnerUsage, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("app", s.app());
        m.put("addresses", host.addresses());
        Map<String, Object> runner = new LinkedHashMap<>();
        runner.put("pid", host.pid());
        runner.put("version", host.version());
        runner.put("startedAt", s.startedAt().toString());
        runner.put("uptimeSeconds", seconds(Duration.between(s.startedAt(), now)));
        runner.put("rssBytes", runnerUsage.rssBytes());
        runner.put("cpuPercent", round(runnerUsage.cpuPercent()));
        runner.put("controlSocket", host.controlSocket());
        runner.put("metrics", host.metrics());
        m.put("runner", runner);
        m.put("desiredWorkers", s.desiredWorkers());
        m.put("readyWorkers", s.readyCount());
        m.put("generation", s.generation());
        m.put("stopping", s.stopping());
        m.put("crashes", s.crashes());
        m.put("reload", s.reload().map(r -> reload(r, now)).orElse(null));
        m.put("reloadQueued", s.reloadQueued());
        m.put("lastReload", s.lastReload().map(StatusView::result).orElse(null));
        m.put("reloads", Map.of("started", s.reloads().started(), "completed", s.reloads().completed(),
                "aborted", s.reloads().aborted()));
        List<Object> generations = new ArrayList<>();
        for (RunnerStatus.Generation g : s.generations()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("generation", g.generation());
            row.put("app", g.app());
            // null for a command that runs no jar; sha256 null with a problem when it could not be read.
            row.put("jar", g.jar().map(j -> j.path().toString()).orElse(null));
            row.put("sha256", g.jar().map(j -> j.sha256().isEmpty() ? null : j.sha256()).orElse(null));
            g.jar().filter(j -> !j.problem().isEmpty()).ifPresent(j -> row.put("jarProblem", j.problem()));
            generations.add(row);
        }
        m.put("generations", generations);
        List<Object> workers = new ArrayList<>();
        for (RunnerStatus.Worker w : s.workers()) {
            ProcessStats.Usage u = usage.getOrDefault(w.pid(), ProcessStats.Usage.UNKNOWN);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", w.id());
            row.put("pid", w.pid());
            row.put("generation", w.generation());
            row.put("state", w.state().name().toLowerCase(Locale.ROOT));
            row.put("port", w.port());
            row.put("since", w.since().toString());
            row.put("uptimeSeconds", seconds(w.uptime(now)));
            row.put("restarts", w.restarts());
            row.put("connections", w.connections());
            row.put("sharePercent", w.sharePercent());
            row.put("rssBytes", u.rssBytes());
            row.put("cpuPercent", round(u.cpuPercent()));
            workers.add(row);
        }
        m.put("workers", workers);
        return m;
    }

    private static Map<String, Object> reload(RunnerStatus.ReloadProgress r, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generation", r.generation());
        m.put("startedAt", r.startedAt().toString());
        m.put("elapsedSeconds", seconds(Duration.between(r.startedAt(), now)));
        m.put("toReplace", r.toReplace());
        m.put("replaced", r.replaced());
        return m;
    }

    private static Map<String, Object> result(RunnerStatus.ReloadResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generation", r.generation());
        m.put("result", r.completed() ? "completed" : "aborted");
        m.put("endedAt", r.endedAt().toString());
        m.put("seconds", seconds(r.took()));
        m.put("replaced", r.replaced());
        m.put("reason", r.reason());
        return m;
    }

    /** The table of {@code actor-runner status}, from the JSON above. */
    @SuppressWarnings("unchecked")
    public static String table(Map<String, Object> s) {
        Map<String, Object> runner = (Map<String, Object>) s.get("runner");
        List<Object> addresses = (List<Object>) s.get("addresses");
        StringBuilder out = new StringBuilder();
        out.append(s.get("app")).append(": ").append(s.get("readyWorkers")).append(" of ")
                .append(s.get("desiredWorkers")).append(" workers ready");
        if (addresses != null && !addresses.isEmpty()) out.append(" on ").append(String.join(", ", addresses.stream().map(String::valueOf).toList()));
        out.append(", generation ").append(s.get("generation"));
        long crashes = number(s.get("crashes"));
        if (crashes > 0) out.append(", ").append(crashes).append(crashes == 1 ? " crash" : " crashes");
        if (Boolean.TRUE.equals(s.get("stopping"))) out.append(", STOPPING");
        out.append('\n');
        out.append("runner: pid ").append(runner.get("pid")).append(", up ").append(duration(runner.get("uptimeSeconds")))
                .append(", ").append(bytes(runner.get("rssBytes"))).append(" RSS");
        out.append('\n');
        out.append("reload: ").append(reloadLine(s)).append('\n');
        Object generations = s.get("generations");
        if (generations instanceof List<?> list) {
            for (Object o : list) out.append(generationLine((Map<String, Object>) o)).append('\n');
        }
        out.append('\n');
        String format = "%4s %8s %4s  %-9s %5s %8s %9s %6s %9s %6s%n";
        out.append(String.format(Locale.ROOT, format, "ID", "PID", "GEN", "STATE", "SHARE", "UPTIME", "RESTARTS", "CONNS",
                "RSS", "CPU%"));
        for (Object o : (List<Object>) s.get("workers")) {
            Map<String, Object> w = (Map<String, Object>) o;
            long pid = number(w.get("pid"));
            out.append(String.format(Locale.ROOT, format, w.get("id"), pid < 0 ? "-" : pid, w.get("generation"),
                    w.get("state"), share(w), pid < 0 ? "-" : duration(w.get("uptimeSeconds")), w.get("restarts"),
                    w.get("connections"), bytes(w.get("rssBytes")), percent(w.get("cpuPercent"))));
        }
        return out.toString();
    }

    /** "generation 3: /srv/app-1.3.jar sha256 3f7a...", or the app's name for a command. */
    private static String generationLine(Map<String, Object> g) {
        StringBuilder line = new StringBuilder("generation ").append(g.get("generation")).append(": ");
        Object jar = g.get("jar");
        if (jar == null) return line.append(g.get("app")).append(" (no app jar)").toString();
        line.append(jar);
        Object sha = g.get("sha256");
        if (sha != null) return line.append(" sha256 ").append(sha).toString();
        Object problem = g.get("jarProblem");
        return line.append(problem != null ? ": " + problem : " (not hashed yet)").toString();
    }

    @SuppressWarnings("unchecked")
    private static String reloadLine(Map<String, Object> s) {
        StringBuilder line = new StringBuilder();
        Map<String, Object> now = (Map<String, Object>) s.get("reload");
        if (now == null) {
            line.append("none running");
        } else {
            line.append(now.get("generation")).append(" running for ").append(duration(now.get("elapsedSeconds")))
                    .append(", ").append(now.get("replaced")).append(" of ").append(now.get("toReplace")).append(" replaced");
            if (Boolean.TRUE.equals(s.get("reloadQueued"))) line.append(", another queued");
        }
        Map<String, Object> last = (Map<String, Object>) s.get("lastReload");
        if (last != null) {
            line.append("; last: ").append(last.get("generation")).append(' ').append(last.get("result"))
                    .append(" at ").append(localTime(last.get("endedAt"))).append(" after ")
                    .append(duration(last.get("seconds"))).append(", ").append(last.get("replaced")).append(" replaced");
            Object reason = last.get("reason");
            if (reason instanceof String r && !r.isEmpty()) line.append(": ").append(r);
        }
        return line.toString();
    }

    /** An instant as the reader's wall clock shows it (HH:mm:ss), or as given if it is not one. */
    private static String localTime(Object instant) {
        try {
            return java.time.LocalTime.ofInstant(Instant.parse(String.valueOf(instant)), java.time.ZoneId.systemDefault())
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        } catch (java.time.DateTimeException e) {
            return String.valueOf(instant);
        }
    }

    static double seconds(Duration d) {
        return Math.round(d.toMillis() / 100.0) / 10.0;
    }

    private static double round(double v) {
        return v < 0 ? -1 : Math.round(v * 10) / 10.0;
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : -1;
    }

    /** 59s, 1m02s, 2h03m, 3d04h. */
    static String duration(Object secondsValue) {
        if (!(secondsValue instanceof Number n)) return "-";
        double secs = n.doubleValue();
        if (secs < 10) return String.format(Locale.ROOT, "%.1fs", secs);
        long s = (long) secs;
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        if (s < 86400) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, s % 86400 / 3600);
    }

    static String bytes(Object value) {
        long b = number(value);
        if (b < 0) return "-";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1fK", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1fM", b / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2fG", b / (1024.0 * 1024 * 1024));
    }

    private static String percent(Object value) {
        return value instanceof Number n && n.doubleValue() >= 0
                ? String.format(Locale.ROOT, "%.1f", n.doubleValue()) : "-";
    }

    /** A ready worker's slow-start share ("35%"); "-" for one out of rotation (or from a runner without slow start). */
    private static String share(Map<String, Object> w) {
        Object p = w.get("sharePercent");
        return "ready".equals(w.get("state")) && p != null ? number(p) + "%" : "-";
    }
}
