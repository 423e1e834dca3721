package io.jsysbox.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** The installed runtime's host side: the {@code jsysbox} CLI, the manager's state, /etc/subuid. */
public final class Jsysbox {
    public static final Path STATE_FILE = Path.of("/var/lib/jsysbox/state.json");
    public static final Path STATE_DIR = Path.of("/var/lib/jsysbox");
    public static final Path RUN_DIR = Path.of("/run/jsysbox");
    public static final Path MOUNT_DIR = RUN_DIR.resolve("mnt");
    public static final Duration MANAGER_READY = Duration.ofSeconds(60);

    private Jsysbox() {}

    public static Command.Result cli(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "jsysbox";
        System.arraycopy(args, 0, command, 1, args.length);
        return Command.run(Docker.COMMAND_TIMEOUT, command);
    }

    /** The running jsysbox-fs daemon's pid (waiting for its supervisor to have started one). */
    public static long fsPid() {
        return Await.until("a jsysbox-fs daemon to run", MANAGER_READY, Jsysbox::runningFsPid, pid -> pid > 0);
    }

    /**
     * Runs {@code action} while jsysbox-fs is stopped (SIGSTOP): alive, holding its socket and mount, but answering
     * nothing. The daemon always gets SIGCONT again, whatever the action does.
     */
    public static <T> T whileFsStopped(Supplier<T> action) {
        String pid = Long.toString(fsPid());
        Command.run(Docker.COMMAND_TIMEOUT, "kill", "-STOP", pid).assertOk();
        try {
            return action.get();
        } finally {
            Command.run(Docker.COMMAND_TIMEOUT, "kill", "-CONT", pid).assertOk();
        }
    }

    private static long runningFsPid() {
        try {
            long pid =
                    Long.parseLong(Files.readString(RUN_DIR.resolve("fs.pid")).strip());
            String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
            return cmdline.contains("io.jsysbox.fs.Main") ? pid : 0;
        } catch (IOException | NumberFormatException notYet) {
            return 0;
        }
    }

    public static Command.Result status() {
        return cli("status");
    }

    public static void stopManager() {
        cli("stop").assertOk();
    }

    /** Starts the manager and waits until it answers {@code jsysbox status}. */
    public static void startManager() {
        cli("start").assertOk();
        awaitManager();
    }

    public static void restartManager() {
        cli("restart").assertOk();
        awaitManager();
    }

    public static void awaitManager() {
        Await.success("jsysbox-mgr to answer `jsysbox status`", MANAGER_READY, Jsysbox::status);
    }

    /**
     * The line of {@code jsysbox status} output naming the container (by its full id or Docker's 12-character
     * short id), if any. Status output is for people; the tests rely only on one line per container.
     */
    public static Optional<String> statusLine(String statusText, String id) {
        String token = id.matches("[0-9a-f]{64}") ? id.substring(0, 12) : id;
        return statusText.lines().filter(line -> line.contains(token)).findFirst();
    }

    /**
     * The copy-out marker of a container ("MANAGER-PID INIT-PID"): there from its start until the manager has copied
     * its special dirs into its layer after its exit; jsysbox-runc delete waits on it.
     */
    public static Path syncMarker(String id) {
        return RUN_DIR.resolve("sync").resolve(id);
    }

    /**
     * Whether the manager is copying the container's special dirs out now: its marker is there and names a dead init.
     */
    public static boolean copyOutRunning(String id) {
        try {
            String[] pids = Files.readString(syncMarker(id)).strip().split(" ");
            return !Files.exists(Path.of("/proc", pids[1]));
        } catch (IOException | ArrayIndexOutOfBoundsException notYet) {
            return false;
        }
    }

    /** Whether a status line shows the range starting at {@code hostStart} (as a whole number). */
    public static boolean showsRangeStart(String statusLine, long hostStart) {
        return statusLine.matches(".*(?<![0-9])" + hostStart + "(?![0-9]).*");
    }

    /** The manager's persisted state as text, or empty when there is none. */
    public static String stateText() {
        try {
            return Files.exists(STATE_FILE) ? Files.readString(STATE_FILE) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pool of host uids (or gids) the manager hands out: the {@code jsysbox} line of /etc/subuid. */
    public static IdRange pool(Path subIdFile) {
        try {
            return HostFiles.subIdRange(Files.readString(subIdFile), "jsysbox")
                    .orElseThrow(() -> new AssertionError(
                            "no jsysbox:<start>:<count> line in " + subIdFile + ": run installer/install.sh"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
