package io.jsysbox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.api.v1.RequestedDevice;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestedDevicesTest {
    private static final RequestedDevice KVM = RequestedDevice.newBuilder()
            .setPath("/dev/kvm")
            .setMajor(10)
            .setMinor(232)
            .setFileMode(0600)
            .build();

    private static String problem(UnaryOperator<RequestedDevice.Builder> change) {
        RequestedDevice device = change.apply(KVM.toBuilder()).build();
        return assertThrows(IllegalArgumentException.class, () -> RequestedDevices.check(List.of(device)))
                .getMessage();
    }

    @Test
    void hostLikeDevicesPass() {
        RequestedDevices.check(List.of(
                KVM,
                KVM.toBuilder()
                        .setPath("/dev/dri/renderD128")
                        .setMajor(226)
                        .setMinor(128)
                        .setGid(108)
                        .setFileMode(0660)
                        .build(),
                KVM.toBuilder()
                        .setPath("/dev/loop0")
                        .setBlock(true)
                        .setMajor(7)
                        .setMinor(0)
                        .build(),
                KVM.toBuilder()
                        .setPath("/dev/max")
                        .setMajor(4095)
                        .setMinor(1048575)
                        .setUid(RequestedDevices.MAX_ID)
                        .setFileMode(07777)
                        .build()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/dev/kvm", "/dev/net/tun", "/dev/..kvm"})
    void normalizedPathsUnderDevAreAccepted(String path) {
        assertTrue(RequestedDevices.isNormalPathUnderDev(path), path);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/dev",
                "/dev/",
                "/kvm",
                "dev/kvm",
                "/dev/../etc/shadow",
                "/dev/./kvm",
                "/dev//kvm",
                "/dev/kvm/",
                "/dev/a/../kvm",
                "/devices/kvm",
                "",
                "/dev/k\0vm"
            })
    void otherPathsAreRefused(String path) {
        assertFalse(RequestedDevices.isNormalPathUnderDev(path), path);
    }

    @Test
    void eachProblemIsOneLineNamingTheDeviceAndWhatToDo() {
        String path = problem(d -> d.setPath("/mykvm"));
        assertTrue(path.startsWith("device /mykvm (c 10:232): ") && path.contains("under /dev"), path);
        assertTrue(problem(d -> d.setMajor(0)).contains("major number is 1-4095"));
        assertTrue(problem(d -> d.setMajor(4096)).contains("major number is 1-4095"));
        assertTrue(problem(d -> d.setMinor(-1)).contains("minor number is 0-1048575"));
        assertTrue(problem(d -> d.setMinor(1 << 20)).contains("minor number is 0-1048575"));
        assertTrue(problem(d -> d.setFileMode(020600)).contains("file mode 020600"));
        assertTrue(problem(d -> d.setUid(-1)).contains("owner -1:0"));
        assertTrue(problem(d -> d.setGid(1L << 32)).contains("owner 0:4294967296"));
        assertTrue(problem(d -> d.setBlock(true).setMajor(0)).startsWith("device /dev/kvm (b 0:232): "));
        for (String message : List.of(path, problem(d -> d.setMajor(0)))) {
            assertFalse(message.contains("\n"), message);
        }
    }

    @Test
    void aPathAskedForTwiceIsRefusedWithBothDevices() {
        var twice = List.of(KVM, KVM.toBuilder().setMajor(1).setMinor(3).build());
        assertEquals(
                "device /dev/kvm is asked for twice, as c 10:232 and as c 1:3: give each device its own path",
                assertThrows(IllegalArgumentException.class, () -> RequestedDevices.check(twice))
                        .getMessage());
    }
}
