package dev.actorrunner.fleet;

import akka.cluster.ClusterEvent;
import akka.cluster.Member;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.StreamSupport;

/**
 * The fleet as one node sees it: every node's published entry beside what the cluster says of
 * its member (up, unreachable, gone), and the roll in progress. Its JSON is {@code fleet status
 * --json}; its table is {@code fleet status}, made from the same data.
 *
 * @param self  the node that answered
 * @param nodes every node known, by name
 * @param roll  the fleet reload in progress, in words, if any
 */
public record FleetStatus(String self, List<Node> nodes, Optional<String> roll, long now) {

    public FleetStatus {
        nodes = List.copyOf(nodes);
        roll = roll == null ? Optional.empty() : roll;
    }

    /**
     * One node: its entry (absent while a member that just joined has published none) and its
     * membership: "up", "joining", "leaving", "unreachable", or "gone" (not a member: an entry
     * left by a node that stopped or was downed, kept to say what it ran).
     */
    public record Node(String name, String member, Optional<NodeEntry> entry) {}

    static FleetStatus of(String self, Collection<NodeEntry> entries, ClusterEvent.CurrentClusterState state,
                          List<String> rollLines, long now) {
        Set<Member> unreachable = new HashSet<>(state.getUnreachable());
        Map<String, Node> byName = new LinkedHashMap<>();
        Map<String, NodeEntry> entryByName = new LinkedHashMap<>();
        entries.forEach(e -> entryByName.put(e.name(), e));
        // In a host's cluster, members that embed no runner have no fleet name: not part of the fleet.
        for (Member m : StreamSupport.stream(state.getMembers().spliterator(), false).filter(Fleetwide::inFleet).toList()) {
            String name = nameOf(m);
            String status = unreachable.contains(m) ? "unreachable" : m.status().toString().toLowerCase(Locale.ROOT);
            byName.put(name, new Node(name, status, Optional.ofNullable(entryByName.get(name))));
        }
        for (NodeEntry e : entries) byName.putIfAbsent(e.name(), new Node(e.name(), "gone", Optional.of(e)));
        List<Node> nodes = new ArrayList<>(byName.values());
        nodes.sort(Comparator.comparing(Node::name));
        return new FleetStatus(self, nodes, rollLines.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", rollLines)), now);
    }

    /** A member's fleet name, from its role; its address if it has none (another system's member). */
    static String nameOf(Member m) {
        return m.getRoles().stream().filter(r -> r.startsWith(FleetConfig.NAME_ROLE_PREFIX))
                .map(r -> r.substring(FleetConfig.NAME_ROLE_PREFIX.length())).findFirst()
                .orElse(m.address().toString());
    }

    /** Members of the fleet now (up or joining, reachable or not). */
    public long members() {
        return nodes.stream().filter(n -> !n.member().equals("gone")).count();
    }

    public long unreachable() {
        return nodes.stream().filter(n -> n.member().equals("unreachable")).count();
    }

    /** Workers ready across the members. */
    public long readyWorkers() {
        return nodes.stream().filter(n -> !n.member().equals("gone")).flatMap(n -> n.entry().stream())
                .mapToLong(NodeEntry::ready).sum();
    }

    /** Distinct jar hashes the members run: one release, or a mixed fleet. */
    public long releases() {
        return nodes.stream().filter(n -> !n.member().equals("gone")).flatMap(n -> n.entry().stream())
                .map(e -> e.sha256().isEmpty() ? e.app() : e.sha256()).distinct().count();
    }

    /** The one-line summary a client prints first. */
    public String summary() {
        return members() + " node(s), " + readyWorkers() + " worker(s) ready, " + releases() + " release(s)"
                + (unreachable() > 0 ? ", " + unreachable() + " unreachable" : "")
                + roll.map(r -> ", roll: " + r).orElse("");
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("self", self);
        m.put("members", members());
        m.put("unreachable", unreachable());
        m.put("readyWorkers", readyWorkers());
        m.put("releases", releases());
        m.put("roll", roll.orElse(null));
        List<Object> list = new ArrayList<>();
        for (Node n : nodes) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", n.name());
            row.put("member", n.member());
            n.entry().ifPresentOrElse(e -> {
                row.put("address", e.address());
                row.put("app", e.app());
                row.put("jar", e.jar().isEmpty() ? null : e.jar());
                row.put("sha256", e.sha256().isEmpty() ? null : e.sha256());
                row.put("generation", e.generation());
                row.put("readyWorkers", e.ready());
                row.put("desiredWorkers", e.desired());
                row.put("reload", e.reload());
                row.put("lastFleetStep", e.lastStep().isEmpty() ? null : e.lastStep());
                row.put("updatedAt", Instant.ofEpochMilli(e.updatedAt()).toString());
                row.put("ageSeconds", Math.max(0, (now - e.updatedAt()) / 1000));
            }, () -> row.put("entry", null));
            list.add(row);
        }
        m.put("nodes", list);
        return m;
    }

    /** The table {@code fleet status} prints, from {@link #toJson()}'s data. */
    @SuppressWarnings("unchecked")
    public static String table(Map<String, Object> json) {
        StringBuilder out = new StringBuilder();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NODE", "MEMBER", "READY", "GEN", "SHA256", "RELOAD", "LAST FLEET STEP", "AGE"});
        for (Object o : (List<Object>) json.getOrDefault("nodes", List.of())) {
            Map<String, Object> n = (Map<String, Object>) o;
            String sha = n.get("sha256") instanceof String s ? s.substring(0, Math.min(12, s.length())) : "-";
            rows.add(new String[] {str(n.get("name")), str(n.get("member")),
                    n.containsKey("readyWorkers") ? n.get("readyWorkers") + "/" + n.get("desiredWorkers") : "-",
                    str(n.get("generation")), sha, str(n.get("reload")), str(n.get("lastFleetStep")),
                    n.containsKey("ageSeconds") ? n.get("ageSeconds") + "s" : "-"});
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) widths[i] = Math.max(widths[i], r[i].length());
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : String.format("%-" + (widths[i] + 2) + "s", r[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString().stripTrailing();
    }

    private static String str(Object o) {
        return o == null ? "-" : String.valueOf(o);
    }
}
