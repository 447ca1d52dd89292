package dev.actorrunner.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The control socket's wire protocol, version 1. The client sends one JSON object on one line:
 * <pre>
 * {"command":"status"}
 * {"command":"reload","wait":true}
 * {"command":"scale","workers":3,"relative":false}
 * {"command":"stop","wait":false}
 * {"command":"fleet","action":"status"}
 * {"command":"upgrade","wait":true,"runner-jar":"/opt/actor-runner/actor-runner-2.jar"}
 * </pre>
 * The runner answers with JSON lines, zero or more progress lines, then exactly one last line,
 * a result or an error, and closes the connection:
 * <pre>
 * {"type":"progress","message":"worker 5 ready in 2.1s, draining worker 2"}
 * {"type":"result","ok":true,"message":"reload 3 completed in 4.2s: 2 worker(s) replaced"}
 * {"type":"result","ok":true,"message":"...","status":{...}}
 * {"type":"error","message":"unknown command \"restart\""}
 * </pre>
 * A result with {@code "ok":false} is an outcome the user asked to wait for that went wrong (a
 * reload that was aborted); an error is a request that could not be carried out.
 */
public final class ControlProtocol {

    /** Longest request line the runner reads; the longest real one (a fleet reload: a jar path and a hash) is a few hundred bytes. */
    static final int MAX_REQUEST_BYTES = 4096;

    private ControlProtocol() {}

    /**
     * What a client asks. {@code workers} and {@code relative} only for scale; {@code await} (wait
     * for the end) for reload, stop and upgrade; {@code fleet} for fleet and upgrade: the whole
     * request object, read by the fleet layer ({@link FleetControl}) or the upgrade ({@link UpgradeControl}).
     */
    public record Request(Command command, boolean await, int workers, boolean relative, Map<String, Object> fleet) {

        public Request {
            fleet = fleet == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fleet));
        }

        /** The shape before the fleet (kept for source compatibility). */
        public Request(Command command, boolean await, int workers, boolean relative) {
            this(command, await, workers, relative, Map.of());
        }

        /** A fleet request: {@code action} and its arguments. */
        public static Request fleet(String action, Map<String, Object> args) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", "fleet");
            m.put("action", action);
            m.putAll(args);
            return new Request(Command.FLEET, false, 0, false, m);
        }

        public static Request status() {
            return new Request(Command.STATUS, false, 0, false);
        }

        public static Request reload(boolean wait) {
            return new Request(Command.RELOAD, wait, 0, false);
        }

        public static Request scale(int workers, boolean relative) {
            return new Request(Command.SCALE, false, workers, relative);
        }

        public static Request stop(boolean wait) {
            return new Request(Command.STOP, wait, 0, false);
        }

        /** An upgrade of the runner itself; {@code runnerJar} may be null (the same command line). */
        public static Request upgrade(boolean wait, String runnerJar) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", "upgrade");
            m.put("wait", wait);
            if (runnerJar != null) m.put("runner-jar", runnerJar);
            return new Request(Command.UPGRADE, wait, 0, false, m);
        }

        /** The request's line, without the line break. */
        public String toJson() {
            if (command == Command.FLEET || command == Command.UPGRADE) return Json.write(fleet);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", command.name().toLowerCase());
            if (command == Command.RELOAD || command == Command.STOP) m.put("wait", await);
            if (command == Command.SCALE) {
                m.put("workers", workers);
                m.put("relative", relative);
            }
            return Json.write(m);
        }

        /** Parses and checks a request line; the exception's message is the error to send back. */
        public static Request parse(String line) {
            Map<String, Object> m;
            try {
                m = Json.parseObject(line);
            } catch (Json.JsonException e) {
                throw new BadRequest("not a request: " + e.getMessage());
            }
            Object name = m.get("command");
            if (!(name instanceof String s)) throw new BadRequest("no \"command\" in the request");
            Command command = switch (s) {
                case "status" -> Command.STATUS;
                case "reload" -> Command.RELOAD;
                case "scale" -> Command.SCALE;
                case "stop" -> Command.STOP;
                case "fleet" -> Command.FLEET;
                case "upgrade" -> Command.UPGRADE;
                default -> throw new BadRequest("unknown command \"" + s + "\"");
            };
            if (command == Command.FLEET) {
                if (!(m.get("action") instanceof String)) throw new BadRequest("fleet needs \"action\", a string");
                return new Request(command, false, 0, false, m);
            }
            boolean await = bool(m, "wait");
            if (command == Command.UPGRADE) {
                Object jar = m.get("runner-jar");
                if (jar != null && !(jar instanceof String)) throw new BadRequest("\"runner-jar\" must be a path");
                return new Request(command, await, 0, false, m);
            }
            boolean relative = bool(m, "relative");
            int workers = 0;
            if (command == Command.SCALE) {
                if (!(m.get("workers") instanceof Long n)) throw new BadRequest("scale needs \"workers\", a number");
                if (relative ? Math.abs(n) > MAX_WORKERS : n < 1 || n > MAX_WORKERS) {
                    throw new BadRequest("workers: expected " + (relative ? "a change of at most " + MAX_WORKERS
                            : "a number from 1 to " + MAX_WORKERS) + ", got " + n);
                }
                workers = n.intValue();
            }
            return new Request(command, await, workers, relative);
        }

        private static boolean bool(Map<String, Object> m, String key) {
            Object v = m.get(key);
            if (v == null) return false;
            if (v instanceof Boolean b) return b;
            throw new BadRequest("\"" + key + "\" must be true or false");
        }
    }

    /** The same bound as the workers setting. */
    static final int MAX_WORKERS = 1024;

    public enum Command { STATUS, RELOAD, SCALE, STOP, FLEET, UPGRADE }

    /** A request the runner cannot make sense of. */
    public static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    public static String progress(String message) {
        return Json.write(Map.of("type", "progress", "message", message));
    }

    static String result(boolean ok, String message) {
        return result(ok, message, Map.of());
    }

    public static String result(boolean ok, String message, Map<String, Object> data) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "result");
        m.put("ok", ok);
        m.put("message", message);
        m.putAll(data);
        return Json.write(m);
    }

    public static String error(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "error");
        m.put("message", message);
        return Json.write(m);
    }

    /** One reply line as the client reads it. */
    public record Reply(String type, boolean ok, String message, Map<String, Object> fields) {

        public boolean isFinal() {
            return !type.equals("progress");
        }

        /** Parses a reply line; a line that is not one is an error reply. */
        public static Reply parse(String line) {
            try {
                Map<String, Object> m = Json.parseObject(line);
                String type = m.get("type") instanceof String t ? t : "error";
                boolean ok = type.equals("result") && Boolean.TRUE.equals(m.get("ok"));
                String message = m.get("message") instanceof String s ? s : "";
                return new Reply(type, ok, message, m);
            } catch (Json.JsonException e) {
                return new Reply("error", false, "the runner's answer is not a reply: " + e.getMessage(), Map.of());
            }
        }
    }
}
