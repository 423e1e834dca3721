package io.jsysbox.linux;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a daemon says to systemd and hears from it, without libsystemd: readiness and stored descriptors through
 * sd_notify(3)'s datagrams to $NOTIFY_SOCKET, and the descriptors systemd hands back at start through
 * sd_listen_fds(3)'s
 * $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES. Outside systemd (no $NOTIFY_SOCKET) every call is a no-op.
 */
public final class Systemd {
    /** The first descriptor systemd passes (SD_LISTEN_FDS_START); the others follow it in order. */
    static final int LISTEN_FDS_START = 3;

    private Systemd() {}

    /**
     * One sd_notify message: {@code text} (VARIABLE=VALUE lines) and at most one descriptor to store, named in the
     * text.
     * {@code storedFd} is -1 when none is attached.
     */
    public record Notification(String text, int storedFd) {
        /** READY=1: start-up is finished (a Type=notify unit's start job completes). */
        public static Notification ready(String status) {
            return new Notification("READY=1\nSTATUS=" + oneLine(status), -1);
        }

        /** Only stores {@code fd} under {@code name} (see {@link #storing}). */
        public static Notification store(String name, int fd) {
            return new Notification("", -1).storing(name, fd);
        }

        /**
         * Also keeps {@code fd} in the unit's file descriptor store under {@code name} (FDSTORE=1, FDNAME=): systemd
         * holds
         * a duplicate while the unit restarts (explicitly or after a crash) and passes it to the next start; a stop
         * drops it.
         */
        public Notification storing(String name, int fd) {
            if (storedFd >= 0) {
                throw new IllegalStateException("one stored descriptor per notification");
            }
            if (!validName(name)) {
                throw new IllegalArgumentException("invalid FDNAME " + name);
            }
            if (fd < 0) {
                throw new IllegalArgumentException("invalid descriptor " + fd);
            }
            return new Notification((text.isEmpty() ? "" : text + "\n") + "FDSTORE=1\nFDNAME=" + name, fd);
        }
    }

    /**
     * Sends {@code notification} to the service manager; false when this process does not run under systemd (no
     * NOTIFY_SOCKET). Only the unit's main process is heard (NotifyAccess=main, the default).
     */
    public static boolean notify(Notification notification) throws LinuxException {
        return notify(System.getenv(), notification);
    }

    static boolean notify(Map<String, String> environment, Notification notification) throws LinuxException {
        Optional<String> socket = notifySocket(environment);
        if (socket.isEmpty()) {
            return false;
        }
        byte[] text = notification.text().getBytes(StandardCharsets.UTF_8);
        if (notification.storedFd() >= 0) {
            Linux.sendDatagram(socket.get(), text, notification.storedFd());
        } else {
            Linux.sendDatagram(socket.get(), text);
        }
        return true;
    }

    /** Whether this process runs as a systemd unit that hears notifications (Type=notify sets NOTIFY_SOCKET). */
    public static boolean expectsNotifications() {
        return notifySocket(System.getenv()).isPresent();
    }

    private static Optional<String> notifySocket(Map<String, String> environment) {
        return Optional.ofNullable(environment.get("NOTIFY_SOCKET")).filter(socket -> !socket.isEmpty());
    }

    /** The descriptor systemd passed to this process under {@code name} (from its file descriptor store), if any. */
    public static OptionalInt passedDescriptor(String name) {
        return passedDescriptor(System.getenv(), ProcessHandle.current().pid(), name);
    }

    /**
     * The descriptor named {@code name} among those passed to process {@code pid}: LISTEN_PID must name it (the
     * variables are inherited by children, whose descriptors differ), LISTEN_FDS counts descriptors from 3 on and
     * LISTEN_FDNAMES names them in order, colon-separated. Anything malformed means none was passed. Pure.
     */
    static OptionalInt passedDescriptor(Map<String, String> environment, long pid, String name) {
        int index = passedNames(environment, pid).indexOf(name);
        return index < 0 ? OptionalInt.empty() : OptionalInt.of(LISTEN_FDS_START + index);
    }

    /** The names of the descriptors passed to {@code pid}, in order from fd 3; empty when anything is malformed. */
    private static List<String> passedNames(Map<String, String> environment, long pid) {
        String listenPid = environment.get("LISTEN_PID");
        String listenFds = environment.get("LISTEN_FDS");
        String listenNames = environment.get("LISTEN_FDNAMES");
        if (listenPid == null
                || listenFds == null
                || listenNames == null
                || !listenPid.matches("[1-9][0-9]{0,18}")
                || Long.parseLong(listenPid) != pid
                || !listenFds.matches("[0-9]{1,9}")) {
            return List.of();
        }
        List<String> names = List.of(listenNames.split(":", -1));
        return names.size() == Integer.parseInt(listenFds) ? names : List.of();
    }

    /** A descriptor systemd passed at start and the name it was stored under (names may repeat). */
    public record Passed(String name, int fd) {}

    /** The descriptors systemd passed to this process whose names start with {@code prefix}, in order. */
    public static List<Passed> passedDescriptors(String prefix) {
        return passedDescriptors(System.getenv(), ProcessHandle.current().pid(), prefix);
    }

    /**
     * {@link #passedDescriptors(String)} of process {@code pid} with {@code environment}; see the one-name form. Pure.
     */
    static List<Passed> passedDescriptors(Map<String, String> environment, long pid, String prefix) {
        List<Passed> found = new ArrayList<>();
        List<String> names = passedNames(environment, pid);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).startsWith(prefix)) {
                found.add(new Passed(names.get(i), LISTEN_FDS_START + i));
            }
        }
        return found;
    }

    /** Whether {@code name} can name a stored descriptor. */
    public static boolean isValidName(String name) {
        return validName(name);
    }

    /**
     * What systemd accepts as an FDNAME: at most 255 printable ASCII characters, no colon (LISTEN_FDNAMES' separator).
     */
    private static boolean validName(String name) {
        return !name.isEmpty() && name.length() <= 255 && name.chars().allMatch(c -> c > ' ' && c < 127 && c != ':');
    }

    /** A message is one assignment per line: a value must not break it. */
    private static String oneLine(String value) {
        return value.replace('\n', ' ');
    }
}
