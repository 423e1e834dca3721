package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BindMountMapperTest {
    @Test
    void hostSystemTreesAreNeverIdMapped() {
        for (String source :
                new String[] {"/", "/etc", "/etc/passwd", "/usr/bin", "/root/.ssh", "/var/lib/jsysbox/x", "/lib/../etc"
                }) {
            assertTrue(BindMountMapper.isHostSystemTree(Path.of(source)), source);
        }
    }

    @Test
    void dataDirsAndDockersOwnFilesAre() {
        for (String source : new String[] {
            "/home/alice/project", "/srv/data", "/var/lib/docker/containers/abc/hosts", "/etcetera", "/tmp/x"
        }) {
            assertFalse(BindMountMapper.isHostSystemTree(Path.of(source)), source);
        }
    }
}
