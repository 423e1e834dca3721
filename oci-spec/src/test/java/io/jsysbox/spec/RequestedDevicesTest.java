package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.spec.Prepare.RequestedDevice;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestedDevicesTest {
    private static final RequestedDevice KVM = new RequestedDevice("/dev/kvm", false, 10, 232, 0600, 0, 0);

    private static String problem(RequestedDevice device) {
        return assertThrows(IllegalArgumentException.class, () -> RequestedDevices.check(List.of(device)))
                .getMessage();
    }

    @Test
    void hostLikeDevicesPass() {
        RequestedDevices.check(List.of(
                KVM,
                new RequestedDevice("/dev/dri/renderD128", false, 226, 128, 0660, 0, 108),
                new RequestedDevice("/dev/loop0", true, 7, 0, 0600, 0, 0),
                new RequestedDevice("/dev/max", false, 4095, 1048575, 07777, RequestedDevices.MAX_ID, 0)));
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
        String path = problem(new RequestedDevice("/mykvm", false, 10, 232, 0600, 0, 0));
        assertTrue(path.startsWith("device /mykvm (c 10:232): ") && path.contains("under /dev"), path);
        String majorZero = problem(new RequestedDevice("/dev/kvm", false, 0, 232, 0600, 0, 0));
        assertTrue(majorZero.contains("major number is 1-4095"));
        assertTrue(problem(new RequestedDevice("/dev/kvm", false, 4096, 232, 0600, 0, 0))
                .contains("major number is 1-4095"));
        assertTrue(problem(new RequestedDevice("/dev/kvm", false, 10, -1, 0600, 0, 0))
                .contains("minor number is 0-1048575"));
        assertTrue(problem(new RequestedDevice("/dev/kvm", false, 10, 1 << 20, 0600, 0, 0))
                .contains("minor number is 0-1048575"));
        assertTrue(problem(new RequestedDevice("/dev/kvm", false, 10, 232, 020600, 0, 0))
                .contains("file mode 020600"));
        assertTrue(problem(new RequestedDevice("/dev/kvm", false, 10, 232, 0600, -1, 0))
                .contains("owner -1:0"));
        assertTrue(problem(new RequestedDevice("/dev/kvm", false, 10, 232, 0600, 0, 1L << 32))
                .contains("owner 0:4294967296"));
        assertTrue(problem(new RequestedDevice("/dev/kvm", true, 0, 232, 0600, 0, 0))
                .startsWith("device /dev/kvm (b 0:232): "));
        for (String message : List.of(path, majorZero)) {
            assertFalse(message.contains("\n"), message);
        }
    }

    @Test
    void aPathAskedForTwiceIsRefusedWithBothDevices() {
        var twice = List.of(KVM, new RequestedDevice("/dev/kvm", false, 1, 3, 0600, 0, 0));
        assertEquals(
                "device /dev/kvm is asked for twice, as c 10:232 and as c 1:3: give each device its own path",
                assertThrows(IllegalArgumentException.class, () -> RequestedDevices.check(twice))
                        .getMessage());
    }
}
