package io.jsysbox.mgr;

import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountCalls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Stands in for the kernel in the manager's mount logic: records each call as a line, keeps the mount points it made
 * (so that unmounting by subtree finds them), and fails a call when {@link #refuse} says so.
 */
final class RecordingMountCalls implements MountCalls {
    final List<String> calls = new ArrayList<>();
    final TreeSet<Path> mounted = new TreeSet<>();
    /** The errno a call (its recorded line) fails with, if any. */
    Function<String, Optional<Integer>> refuse = call -> Optional.empty();

    @Override
    public void attachIdMapped(Path source, Path target, IdMapping mapping, boolean recursive, boolean readOnly)
            throws LinuxException {
        call("idmap " + source + " -> " + target + " as " + mapping.uidStart() + ":" + mapping.gidStart() + ":"
                + mapping.size() + (recursive ? " recursive" : "") + (readOnly ? " ro" : ""));
        mounted.add(target);
    }

    @Override
    public void prepareIdMapping(IdMapping mapping) throws LinuxException {
        call("userns " + mapping.uidStart() + ":" + mapping.gidStart() + ":" + mapping.size());
    }

    @Override
    public void forgetIdMapping(IdMapping mapping) {
        calls.add("forget " + mapping.uidStart() + ":" + mapping.gidStart() + ":" + mapping.size());
    }

    @Override
    public void mountAs(int fsUid, int fsGid, String source, Path target, String fsType, String data)
            throws LinuxException {
        call("mount " + fsType + " " + target + " " + data + " as " + fsUid + ":" + fsGid);
        mounted.add(target);
    }

    @Override
    public void umountDetach(Path target) throws LinuxException {
        call("umount " + target);
        mounted.remove(target);
    }

    @Override
    public List<Path> mountPointsUnder(Path dir) {
        return mounted.stream()
                .filter(point -> point.startsWith(dir))
                .sorted(Comparator.comparingInt(Path::getNameCount).reversed())
                .toList();
    }

    private void call(String line) throws LinuxException {
        calls.add(line);
        Optional<Integer> errno = refuse.apply(line);
        if (errno.isPresent()) {
            calls.set(calls.size() - 1, line + " refused"); // and what it would have attached is not there
            throw new LinuxException(line.substring(0, line.indexOf(' ')), errno.get());
        }
    }
}
