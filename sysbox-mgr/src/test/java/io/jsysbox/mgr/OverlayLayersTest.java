package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OverlayLayersTest {
    private static final Path DRIVER_ROOT = Path.of("/var/lib/docker/overlay2");

    @Test
    void absoluteLayers() {
        OverlayLayers layers = OverlayLayers.parse(
                "rw,lowerdir=/d/l/A:/d/l/B,upperdir=/d/abc/diff,workdir=/d/abc/work,index=off", DRIVER_ROOT);
        assertEquals(List.of(Path.of("/d/l/A"), Path.of("/d/l/B")), layers.lowerDirs());
        assertEquals(Optional.of(Path.of("/d/abc")), layers.upperLayerDir());
        assertEquals(Path.of("/d/abc/work"), layers.workDir().orElseThrow());
    }

    @Test
    void dockerRelativeLayersResolveAgainstTheDriverRoot() {
        OverlayLayers layers =
                OverlayLayers.parse("rw,lowerdir=l/AAA:l/BBB,upperdir=abc/diff,workdir=abc/work", DRIVER_ROOT);
        assertEquals(List.of(DRIVER_ROOT.resolve("l/AAA"), DRIVER_ROOT.resolve("l/BBB")), layers.lowerDirs());
        assertEquals(DRIVER_ROOT.resolve("abc"), layers.upperLayerDir().orElseThrow());
    }

    @Test
    void escapedSeparatorsAndDataOnlyLayers() {
        OverlayLayers layers =
                OverlayLayers.parse("lowerdir=/a\\:b:/c::/data,upperdir=/u\\,1/diff,workdir=/u\\,1/work", DRIVER_ROOT);
        assertEquals(List.of(Path.of("/a:b"), Path.of("/c"), Path.of("/data")), layers.lowerDirs());
        assertEquals(Path.of("/u,1"), layers.upperLayerDir().orElseThrow());
    }

    @Test
    void readOnlyOverlayHasNoUpperLayer() {
        assertEquals(
                Optional.empty(),
                OverlayLayers.parse("ro,lowerdir=/a:/b", DRIVER_ROOT).upperLayerDir());
    }

    @Test
    void upperAndWorkMustBeSiblings() {
        OverlayLayers layers = OverlayLayers.parse("lowerdir=/a,upperdir=/x/diff,workdir=/y/work", DRIVER_ROOT);
        assertThrows(IllegalArgumentException.class, layers::upperLayerDir);
        assertThrows(IllegalArgumentException.class, () -> OverlayLayers.parse("rw,upperdir=/x", DRIVER_ROOT));
    }
}
