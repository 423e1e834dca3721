package io.jsysbox.linux;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** {@link MountCalls} as the kernel makes them; keeps the user namespace of each mapping in use. */
final class HostMountCalls implements MountCalls {
    private final UserNamespaces namespaces = new UserNamespaces();

    @Override
    public void attachIdMapped(Path source, Path target, IdMapping mapping, boolean recursive, boolean readOnly)
            throws IOException {
        Fd userns = namespaces.mapping(mapping.uidStart(), mapping.gidStart(), mapping.size());
        try (Fd tree = Linux.openTreeClone(source, recursive)) {
            Linux.setIdmap(tree, userns, recursive, readOnly);
            Linux.moveMount(tree, target);
        }
    }

    @Override
    public void prepareIdMapping(IdMapping mapping) throws IOException {
        namespaces.mapping(mapping.uidStart(), mapping.gidStart(), mapping.size());
    }

    @Override
    public void forgetIdMapping(IdMapping mapping) {
        namespaces.forget(mapping.uidStart(), mapping.gidStart(), mapping.size());
    }

    @Override
    public void mountAs(int fsUid, int fsGid, String source, Path target, String fsType, String data)
            throws IOException {
        FsCredentials.withFsIds(fsUid, fsGid, () -> {
            Linux.mount(source, target, fsType, 0, data);
            return null;
        });
    }

    @Override
    public void umountDetach(Path target) throws IOException {
        Linux.umountDetach(target);
    }

    @Override
    public List<Path> mountPointsUnder(Path dir) throws IOException {
        return MountInfo.read().mountPointsUnder(dir);
    }
}
