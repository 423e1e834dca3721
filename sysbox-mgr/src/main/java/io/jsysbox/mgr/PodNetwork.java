package io.jsysbox.mgr;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a Kubernetes pod a network namespace its own user namespace owns. The CRI (containerd 1.x, CRI-O without
 * user namespaces) makes the pod's network namespace, and CNI configures it, before the runtime runs: that namespace
 * belongs to the host's user namespace, so the pod's root could not configure it (an inner dockerd's bridge,
 * iptables), sysfs could not be mounted over it, and the pod's containers could not join it from the pod's user
 * namespace. So the sandbox starts in a network namespace of its own, and this moves the CRI's interfaces (not lo)
 * into it with their addresses and routes: the pod keeps the IP the CRI reported, the CRI's namespace stays behind
 * with only lo (CNI's teardown finds no interface there, which its plugins accept; the moved veth goes away with
 * the pod's namespace).
 *
 * <p>Through iproute2 ({@code ip -json}), entered into each namespace with nsenter: netlink is a protocol of its own,
 * and iproute2 is its reference client on every host that runs CNI. Its commands go in batches ({@code ip -batch}),
 * one process per namespace and address family (four or five in all, ~5 ms each, on the pod's critical path): a
 * batch line takes no family option, so IPv4 and IPv6 go apart.
 */
final class PodNetwork {
    private static final Logger LOG = LoggerFactory.getLogger(PodNetwork.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long COMMAND_SECONDS = 30;
    /** Where containerd's CRI and CRI-O (pinns) keep the network namespaces they make (/var/run is /run on Debian). */
    private static final List<Path> CRI_NAMESPACE_DIRS = List.of(Path.of("/run/netns"), Path.of("/var/run/netns"));

    /**
     * Refuses, before anything moves, a {@code criNamespace} that is not one the CRI made for pod sandbox {@code id}:
     * only such a namespace is emptied, never the host's nor another container's (/proc/PID/ns/net), whatever a
     * spec's annotations claim.
     */
    static void checkMovable(String id, Path criNamespace) throws ManagerException {
        if (!CRI_NAMESPACE_DIRS.contains(criNamespace.normalize().getParent())) {
            throw new ManagerException(
                    ManagerException.Kind.BAD_REQUEST,
                    "pod sandbox " + id + ": its network namespace " + criNamespace
                            + " is not one the CRI made (expected under /run/netns or /var/run/netns); jsysbox moves "
                            + "only those into a pod");
        }
        if (!Files.isRegularFile(criNamespace)) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE,
                    "pod sandbox " + id + ": its network namespace " + criNamespace
                            + " is not a network namespace file: the CRI removed it, or never made it");
        }
    }

    /**
     * Moves the interfaces of {@code criNamespace} (checked by {@link #checkMovable}) into the network namespace of
     * {@code pid}, configured as they were.
     */
    void adopt(String id, Path criNamespace, long pid) throws ManagerException {
        long began = System.nanoTime();
        try {
            String source = "--net=" + criNamespace;
            String target = "--net=/proc/" + pid + "/ns/net";
            // Without a family, "address show" lists both, "route show" IPv4's.
            List<JsonNode> shown = batchResults(
                    ip(
                            source,
                            List.of("-json"),
                            List.of(List.of("address", "show"), List.of("route", "show", "table", "main"))),
                    2);
            // IPv6 routes are read only where IPv6 is configured: one process less for the usual IPv4-only pod.
            JsonNode routes6 = hasGlobalIpv6(shown.get(0))
                    ? JSON.readTree(
                            ip(source, List.of("-json", "-6"), List.of(List.of("route", "show", "table", "main"))))
                    : JSON.createArrayNode();
            Plan plan = plan(shown.get(0), shown.get(1), routes6);
            if (!plan.links().isEmpty()) {
                ip(
                        source,
                        List.of(),
                        plan.links().stream()
                                .map(link -> List.of("link", "set", "dev", link, "netns", Long.toString(pid)))
                                .toList());
                Map<Boolean, List<List<String>>> byIpv6 = plan.commands().stream()
                        .collect(Collectors.partitioningBy(
                                command -> command.getFirst().equals("-6")));
                ip(target, List.of("-4"), withoutFamily(byIpv6.get(false)));
                if (!byIpv6.get(true).isEmpty()) {
                    ip(target, List.of("-6"), withoutFamily(byIpv6.get(true)));
                }
            }
            LOG.info(
                    "{}: moved the pod's network {} from {} into the sandbox's namespace in {} ms",
                    id,
                    plan.links(),
                    criNamespace,
                    (System.nanoTime() - began) / 1_000_000);
        } catch (IOException e) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE,
                    "cannot move pod sandbox " + id + "'s network from " + criNamespace
                            + " into its own network namespace: " + e.getMessage(),
                    e);
        }
    }

    /**
     * What to move and how to configure it again: links to move, then {@code ip} argument lists for the new namespace.
     */
    record Plan(List<String> links, List<List<String>> commands) {}

    /**
     * From {@code ip -json address show} and {@code ip -json route show} (IPv4, IPv6) of the CRI's namespace. A moved
     * interface loses its addresses and routes (and comes down): its global addresses are added again, it is brought
     * up, then routes the kernel did not derive from an address are added, on-link ones before those via a gateway.
     */
    static Plan plan(JsonNode addresses, JsonNode routes4, JsonNode routes6) {
        List<String> links = new ArrayList<>();
        List<List<String>> commands = new ArrayList<>();
        for (JsonNode link : addresses) {
            String name = link.path("ifname").asText();
            if (link.path("link_type").asText().equals("loopback") || name.isEmpty()) {
                continue;
            }
            links.add(name);
            for (JsonNode address : link.path("addr_info")) {
                // Link-local addresses come back by themselves when the link comes up.
                if (!address.path("scope").asText().equals("global")) {
                    continue;
                }
                List<String> add = new ArrayList<>(List.of(
                        address.path("family").asText().equals("inet6") ? "-6" : "-4",
                        "address",
                        "add",
                        address.path("local").asText() + "/"
                                + address.path("prefixlen").asInt(),
                        "dev",
                        name));
                if (address.has("broadcast")) {
                    add.addAll(List.of("broadcast", address.path("broadcast").asText()));
                }
                // Duplicate address detection already ran on this link: again, the address would be unusable a while.
                if (address.path("family").asText().equals("inet6")) {
                    add.add("nodad");
                }
                commands.add(add);
            }
            commands.add(List.of("link", "set", "dev", name, "up"));
        }
        List<List<String>> routes = new ArrayList<>();
        routeCommands(routes4, "-4", links, routes);
        routeCommands(routes6, "-6", links, routes);
        routes.sort(Comparator.comparing(route -> route.contains("via")));
        commands.addAll(routes);
        return new Plan(List.copyOf(links), List.copyOf(commands));
    }

    private static void routeCommands(JsonNode routes, String family, List<String> links, List<List<String>> into) {
        for (JsonNode route : routes) {
            if (route.path("protocol").asText().equals("kernel")
                    || !links.contains(route.path("dev").asText())) {
                continue;
            }
            List<String> add = new ArrayList<>(
                    List.of(family, "route", "replace", route.path("dst").asText()));
            if (route.has("gateway")) {
                add.addAll(List.of("via", route.path("gateway").asText()));
            }
            add.addAll(List.of("dev", route.path("dev").asText()));
            if (route.has("prefsrc")) {
                add.addAll(List.of("src", route.path("prefsrc").asText()));
            }
            if (route.has("metric")) {
                add.addAll(List.of("metric", route.path("metric").asText()));
            }
            if (route.has("scope") && !route.path("scope").asText().equals("global")) {
                add.addAll(List.of("scope", route.path("scope").asText()));
            }
            into.add(add);
        }
    }

    /** Whether {@code ip -json address show} lists a global IPv6 address (on any link). */
    static boolean hasGlobalIpv6(JsonNode addresses) {
        for (JsonNode link : addresses) {
            for (JsonNode address : link.path("addr_info")) {
                if (address.path("family").asText().equals("inet6")
                        && address.path("scope").asText().equals("global")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The {@code count} JSON arrays {@code ip -json -batch} printed, one per command, in order. (Not Jackson's
     * readValues: it iterates the elements of a first array instead.)
     */
    static List<JsonNode> batchResults(String output, int count) throws IOException {
        List<JsonNode> results = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(output)) {
            for (JsonNode result = JSON.readTree(parser); result != null; result = JSON.readTree(parser)) {
                if (!result.isArray()) {
                    throw new IOException("ip -json -batch printed " + result + ", not an array");
                }
                results.add(result);
            }
        }
        if (results.size() != count) {
            throw new IOException("ip -json -batch printed " + results.size() + " results for " + count + " commands");
        }
        return results;
    }

    /** {@code commands} without their leading family option, which a batch line cannot take (the batch's has it). */
    private static List<List<String>> withoutFamily(List<List<String>> commands) {
        return commands.stream()
                .map(command ->
                        List.of("-4", "-6").contains(command.getFirst()) ? command.subList(1, command.size()) : command)
                .toList();
    }

    /** The host's {@code name}, looked up where Debian puts it: the daemons may run with a minimal PATH. */
    private static String tool(String name, String debianPackage) throws IOException {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            Path path = Path.of(dir, name);
            if (Files.isExecutable(path)) {
                return path.toString();
            }
        }
        throw new IOException(name + " not found: install it (apt-get install " + debianPackage + ")");
    }

    /**
     * {@code ip OPTIONS -batch -} in the network namespace nsenter's {@code namespace} option names, {@code commands}
     * one per line (ip stops at the first that fails); its stdout.
     */
    private static String ip(String namespace, List<String> options, List<List<String>> commands) throws IOException {
        List<String> command =
                new ArrayList<>(List.of(tool("nsenter", "util-linux"), namespace, "--", tool("ip", "iproute2")));
        command.addAll(options);
        command.addAll(List.of("-batch", "-"));
        StringBuilder lines = new StringBuilder();
        for (List<String> line : commands) {
            for (String word : line) {
                // ip's batch lines split at blanks and honour quotes: no value of a plan has either.
                if (word.isEmpty()
                        || word.chars()
                                .anyMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'' || c == '\\')) {
                    throw new IOException("cannot pass '" + word + "' to ip -batch");
                }
            }
            lines.append(String.join(" ", line)).append('\n');
        }
        Process process = new ProcessBuilder(command).start();
        try {
            try (var stdin = process.getOutputStream()) {
                stdin.write(lines.toString().getBytes(StandardCharsets.UTF_8));
            }
            byte[] stdout = process.getInputStream().readAllBytes();
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + COMMAND_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + ") on '"
                        + lines.toString().strip().replace("\n", "; ") + "': " + stderr);
            }
            return new String(stdout, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
    }
}
