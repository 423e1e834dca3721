package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Cases marked "host" were checked by writing them to this machine's own /proc/sys as root (kernel 6.18). */
class SysctlTest {

    @Test
    void intAccepted() {
        assertEquals(accepted(2, "1\n"), write(SysctlKey.KERNEL_PANIC, "1\n"));
        assertEquals(accepted(4, "1\n"), write(SysctlKey.KERNEL_PANIC, " 1 \n"), "host: surrounding whitespace");
        assertEquals(accepted(2, "1\n"), write(SysctlKey.KERNEL_PANIC, "1 abc"), "host: write(2) returns 2");
        assertEquals(accepted(4, "7\n"), write(SysctlKey.KERNEL_PANIC, "\t7\n\n"));
        assertEquals(accepted(11, "-2147483648\n"), write(SysctlKey.KERNEL_PANIC, "-2147483648"));
        assertEquals(accepted(4, "16\n"), write(SysctlKey.KERNEL_PANIC, "0x10"), "strtoul base 0: hex");
        assertEquals(accepted(3, "8\n"), write(SysctlKey.KERNEL_PANIC, "010"), "and octal");
        assertEquals(accepted(20, "1\n"), write(SysctlKey.KERNEL_PANIC, "00000000000000000001"));
    }

    @Test
    void intRejected() {
        for (String input : new String[] {
            "1x",
            "   ",
            "+1",
            "2147483648", // host
            "-2147483649",
            "-",
            "08",
            "0x",
            "1.5",
            "abc",
            "000000000000000000001", // 21 characters: the kernel's buffer limit
            "99999999999999999999", // beyond 64 bits
        }) {
            assertEquals(
                    new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.KERNEL_PANIC, input), "[" + input + "]");
        }
    }

    @Test
    void rangesOfMinmaxSysctls() {
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.VM_OVERCOMMIT_MEMORY, "3\n")); // host
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.VM_OVERCOMMIT_MEMORY, "-1")); // host
        assertEquals(accepted(2, "2\n"), write(SysctlKey.VM_OVERCOMMIT_MEMORY, "2\n"));
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.KERNEL_PID_MAX, "300\n")); // host
        assertEquals(accepted(3, "301\n"), write(SysctlKey.KERNEL_PID_MAX, "301"));
        assertEquals(accepted(7, "4194304\n"), write(SysctlKey.KERNEL_PID_MAX, "4194304"));
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.KERNEL_PID_MAX, "4194305"));
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.KERNEL_SHMMNI, "32769"));
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.NET_NF_CONNTRACK_MAX, "-1"));
        assertEquals(accepted(7, "131072\n"), write(SysctlKey.NET_NF_CONNTRACK_MAX, "131072\n"));
    }

    @Test
    void unsignedLongSysctls() {
        assertEquals(
                new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.FS_INOTIFY_MAX_USER_WATCHES, "-5")); // host
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.FS_INOTIFY_MAX_USER_WATCHES, "-0"));
        assertEquals(
                new SysctlWrite.Rejected(Errno.EINVAL),
                write(SysctlKey.FS_INOTIFY_MAX_USER_WATCHES, "9223372036854775808"),
                "above LONG_MAX");
        assertEquals(
                accepted(21, "18446744073692774399\n"),
                write(SysctlKey.KERNEL_SHMMAX, "18446744073692774399\n"),
                "the host's default shmmax, beyond a signed long");
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(SysctlKey.KERNEL_SHMALL, "18446744073709551616"));
    }

    @Test
    void readOnlyKeysAreEacces() {
        // host: echo 41 > /proc/sys/kernel/cap_last_cap as root -> Permission denied (likewise the others).
        for (SysctlKey key : new SysctlKey[] {
            SysctlKey.KERNEL_CAP_LAST_CAP,
            SysctlKey.KERNEL_NGROUPS_MAX,
            SysctlKey.KERNEL_RANDOM_BOOT_ID,
            SysctlKey.KERNEL_RANDOM_UUID
        }) {
            assertEquals(new SysctlWrite.Rejected(Errno.EACCES), write(key, "41\n"), key.path());
            assertFalse(key.writable());
        }
        assertTrue(SysctlKey.KERNEL_PANIC.writable());
    }

    @Test
    void writesAtAnOffsetOrEmptyAreIgnored() {
        assertEquals(
                new SysctlWrite.Accepted(2, Optional.empty()),
                SysctlKey.KERNEL_PANIC.format().write(bytes("5\n"), 3));
        assertEquals(new SysctlWrite.Accepted(0, Optional.empty()), write(SysctlKey.KERNEL_PANIC, ""));
    }

    @Test
    void conntrackHashsizeLikeTheModuleParameter() {
        SysctlKey hashsize = SysctlKey.NF_CONNTRACK_HASHSIZE;
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(hashsize, "0\n")); // host
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(hashsize, " 262144\n")); // host
        assertEquals(accepted(7, "262144\n"), write(hashsize, "262144\n"));
        assertEquals(accepted(4, "1024\n"), write(hashsize, "1000"), "rounded up to whole pages of buckets");
        assertEquals(accepted(6, "16384\n"), write(hashsize, "+16384"));
        assertEquals(accepted(6, "16384\n"), write(hashsize, "0x4000"));
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(hashsize, "1\n\n"), "one newline at most");
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), write(hashsize, "12 "));
        assertEquals(new SysctlWrite.Rejected(Errno.ERANGE), write(hashsize, "4294967296"));
        assertEquals(new SysctlWrite.Rejected(Errno.ERANGE), write(hashsize, "99999999999999999999999"));
        assertEquals(new SysctlWrite.Rejected(Errno.ENOMEM), write(hashsize, "536870912"));
    }

    @Test
    void storeReadsTheHostUntilWritten() {
        SysctlStore store = new SysctlStore();
        assertEquals("1\n", store.read(SysctlKey.KERNEL_PANIC, () -> "1\n"));
        assertEquals(accepted(3, "10\n"), store.write(SysctlKey.KERNEL_PANIC, bytes("10\n"), 0));
        assertEquals("10\n", store.read(SysctlKey.KERNEL_PANIC, () -> {
            throw new AssertionError("host read");
        }));
        assertEquals(new SysctlWrite.Rejected(Errno.EINVAL), store.write(SysctlKey.KERNEL_PANIC, bytes("x"), 0));
        assertEquals("10\n", store.read(SysctlKey.KERNEL_PANIC, () -> "1\n"), "a rejected write changes nothing");
        assertEquals("0\n", store.read(SysctlKey.VM_OVERCOMMIT_MEMORY, () -> "0\n"), "other keys unaffected");
        assertEquals("40\n", store.read(SysctlKey.KERNEL_CAP_LAST_CAP, () -> "40\n"));
    }

    @Test
    void storesAreIndependentPerContainer() {
        SysctlStore first = new SysctlStore();
        SysctlStore second = new SysctlStore();
        first.write(SysctlKey.NET_UNIX_MAX_DGRAM_QLEN, bytes("512"), 0);
        assertEquals("512\n", first.read(SysctlKey.NET_UNIX_MAX_DGRAM_QLEN, () -> "10\n"));
        assertEquals("10\n", second.read(SysctlKey.NET_UNIX_MAX_DGRAM_QLEN, () -> "10\n"));
    }

    @Test
    void bootIdIsPerContainerAndUuidFreshPerRead() {
        UUID bootId = UUID.fromString("f2b1c6d4-0e5a-4c8e-9a31-2d7b8e6f4a10");
        SysctlStore store = new SysctlStore(bootId);
        assertEquals(
                "f2b1c6d4-0e5a-4c8e-9a31-2d7b8e6f4a10\n", store.read(SysctlKey.KERNEL_RANDOM_BOOT_ID, () -> "host\n"));
        assertEquals(
                store.read(SysctlKey.KERNEL_RANDOM_BOOT_ID, () -> "host\n"),
                store.read(SysctlKey.KERNEL_RANDOM_BOOT_ID, () -> "host\n"));
        assertNotEquals(
                new SysctlStore().read(SysctlKey.KERNEL_RANDOM_BOOT_ID, () -> "host\n"),
                new SysctlStore().read(SysctlKey.KERNEL_RANDOM_BOOT_ID, () -> "host\n"));
        String uuid = store.read(SysctlKey.KERNEL_RANDOM_UUID, () -> "host\n");
        assertNotEquals(uuid, store.read(SysctlKey.KERNEL_RANDOM_UUID, () -> "host\n"));
        assertEquals(4, UUID.fromString(uuid.strip()).version());
    }

    private static SysctlWrite write(SysctlKey key, String input) {
        return key.format().write(bytes(input), 0);
    }

    private static SysctlWrite accepted(int consumed, String value) {
        return new SysctlWrite.Accepted(consumed, Optional.of(value));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
