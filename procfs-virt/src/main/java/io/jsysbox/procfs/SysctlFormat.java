package io.jsysbox.procfs;

import java.util.Optional;

/** How the kernel parses and checks writes to one sysctl or module parameter. */
public sealed interface SysctlFormat {

    /** Parses a write of {@code data} at file offset {@code offset}, as the kernel's handler would. */
    SysctlWrite write(byte[] data, long offset);

    /**
     * A sysctl write the kernel ignores but reports as written: at a non-zero offset (sysctl_writes_strict = 1,
     * the default) or of no bytes.
     */
    private static SysctlWrite ignored(byte[] data) {
        return new SysctlWrite.Accepted(data.length, Optional.empty());
    }

    /** proc_dointvec (min/max = the int range) and proc_dointvec_minmax: a signed 32-bit value within [min, max]. */
    record ProcInt(int min, int max) implements SysctlFormat {
        public static final ProcInt ANY = new ProcInt(Integer.MIN_VALUE, Integer.MAX_VALUE);

        @Override
        public SysctlWrite write(byte[] data, long offset) {
            if (offset != 0 || data.length == 0) {
                return ignored(data);
            }
            KernelNumbers.ProcNumber number = KernelNumbers.parseProcNumber(data);
            if (number == null) {
                return new SysctlWrite.Rejected(Errno.EINVAL);
            }
            long limit = number.negative() ? (long) Integer.MAX_VALUE + 1 : Integer.MAX_VALUE;
            if (Long.compareUnsigned(number.magnitude(), limit) > 0) {
                return new SysctlWrite.Rejected(Errno.EINVAL);
            }
            long value = number.negative() ? -number.magnitude() : number.magnitude();
            if (value < min || value > max) {
                return new SysctlWrite.Rejected(Errno.EINVAL);
            }
            return new SysctlWrite.Accepted(number.consumedBytes(), Optional.of(value + "\n"));
        }
    }

    /** proc_doulongvec_minmax: an unsigned 64-bit value within [min, max] (compared unsigned); '-' is EINVAL. */
    record ProcULong(long min, long max) implements SysctlFormat {
        public static final ProcULong ANY = new ProcULong(0, -1L);

        @Override
        public SysctlWrite write(byte[] data, long offset) {
            if (offset != 0 || data.length == 0) {
                return ignored(data);
            }
            KernelNumbers.ProcNumber number = KernelNumbers.parseProcNumber(data);
            if (number == null
                    || number.negative()
                    || Long.compareUnsigned(number.magnitude(), min) < 0
                    || Long.compareUnsigned(number.magnitude(), max) > 0) {
                return new SysctlWrite.Rejected(Errno.EINVAL);
            }
            return new SysctlWrite.Accepted(
                    number.consumedBytes(), Optional.of(Long.toUnsignedString(number.magnitude()) + "\n"));
        }
    }

    /**
     * nf_conntrack's "hashsize" module parameter: kstrtouint, 0 is EINVAL, the size is rounded up to whole
     * pages of buckets (512 per 4 KiB page) and more than UINT_MAX / 8 buckets fails to allocate (ENOMEM).
     * The whole write is consumed, as sysfs stores do.
     */
    record ConntrackHashsize() implements SysctlFormat {
        private static final long BUCKETS_PER_PAGE = 4096 / 8;
        private static final long MAX_BUCKETS = 0xFFFF_FFFFL / 8;

        @Override
        public SysctlWrite write(byte[] data, long offset) {
            KernelNumbers.UnsignedInt number = KernelNumbers.parseUnsignedInt(data);
            if (number.errno() != null) {
                return new SysctlWrite.Rejected(number.errno());
            }
            if (number.value() == 0) {
                return new SysctlWrite.Rejected(Errno.EINVAL);
            }
            if (number.value() > MAX_BUCKETS) {
                return new SysctlWrite.Rejected(Errno.ENOMEM);
            }
            long buckets = (number.value() + BUCKETS_PER_PAGE - 1) / BUCKETS_PER_PAGE * BUCKETS_PER_PAGE;
            return new SysctlWrite.Accepted(data.length, Optional.of(buckets + "\n"));
        }
    }

    /**
     * A file with mode 0444: the kernel refuses the open for writing with EACCES, even for root
     * (proc_sys_permission checks the mode bits itself; verified on the host with cap_last_cap,
     * ngroups_max, random/boot_id and random/uuid).
     */
    record ReadOnly() implements SysctlFormat {
        @Override
        public SysctlWrite write(byte[] data, long offset) {
            return new SysctlWrite.Rejected(Errno.EACCES);
        }
    }
}
