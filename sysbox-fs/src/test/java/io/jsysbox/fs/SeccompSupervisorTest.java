package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What holds without a filter to serve; the notify path itself needs runc (the end-to-end SysinfoTest). */
class SeccompSupervisorTest {
    /** The ioctl numbers made from the struct layouts are linux/seccomp.h's. */
    @Test
    void seccompIoctlNumbersAreTheKernels() {
        assertEquals(0xc0502100L, SeccompSupervisor.NOTIF_RECV, "SECCOMP_IOCTL_NOTIF_RECV");
        assertEquals(0xc0182101L, SeccompSupervisor.NOTIF_SEND, "SECCOMP_IOCTL_NOTIF_SEND");
        assertEquals(0x40082102L, SeccompSupervisor.NOTIF_ID_VALID, "SECCOMP_IOCTL_NOTIF_ID_VALID");
    }

    @Test
    void theKernelsNotificationStructsHoldOurs() {
        SeccompSupervisor.StructSizes sizes = SeccompSupervisor.StructSizes.ofKernel();
        assertTrue(sizes.notification() >= 80, "struct seccomp_notif: " + sizes.notification() + " bytes");
        assertTrue(sizes.response() >= 24, "struct seccomp_notif_resp: " + sizes.response() + " bytes");
    }
}
