package io.jsysbox.procfs;

/**
 * The kernel's number parsing, byte for byte: the base prefixes and overflow check shared by strtoul and
 * kstrtox ("0x1f" hex, "017" octal, else decimal; 64-bit unsigned), proc_get_long as sysctl handlers use
 * it, and kstrtouint as module parameters use it.
 */
final class KernelNumbers {
    /** proc_get_long copies at most this many bytes minus one (TMPBUFLEN in kernel/sysctl.c). */
    private static final int TMPBUFLEN = 22;
    /** Sysctl writes are cut to a page minus the terminating NUL. */
    private static final int MAX_SYSCTL_WRITE = 4096 - 1;

    private KernelNumbers() {}

    /** A parsed sysctl number: magnitude (unsigned), sign, and the bytes write(2) consumed; or an error. */
    record ProcNumber(long magnitude, boolean negative, int consumedBytes) {}

    /**
     * One number as __do_proc_dointvec / __do_proc_doulongvec_minmax read a single-value table: leading
     * whitespace skipped, an optional '-', digits in base 0, then whitespace or the end (anything else is
     * EINVAL), trailing whitespace consumed. Returns null where the kernel answers EINVAL.
     */
    static ProcNumber parseProcNumber(byte[] data) {
        int left = Math.min(data.length, MAX_SYSCTL_WRITE);
        int p = skipSpaces(data, 0, left);
        if (p == left) {
            return null;
        }
        int size = left - p;
        int tmpEnd = p + Math.min(size, TMPBUFLEN - 1);
        int q = p;
        boolean negative = false;
        if (data[q] == '-' && size > 1) {
            negative = true;
            q++;
        }
        if (q >= tmpEnd || !isDigit(data[q])) {
            return null;
        }
        Digits digits = parseDigits(data, q, tmpEnd);
        if (digits.overflow()) {
            return null;
        }
        int length = digits.end() - p;
        if (length == TMPBUFLEN - 1) {
            return null;
        }
        if (length < size && data[digits.end()] != ' ' && data[digits.end()] != '\t' && data[digits.end()] != '\n') {
            return null;
        }
        int rest = skipSpaces(data, digits.end(), left);
        return new ProcNumber(digits.value(), negative, data.length - (left - rest));
    }

    /** A parsed module parameter number, or the errno kstrtouint answers. */
    record UnsignedInt(long value, Errno errno) {}

    /**
     * kstrtouint(s, 0): an optional '+', digits in base 0, at most one '\n', nothing else (EINVAL);
     * more than 32 bits is ERANGE. A NUL ends the string, as in the kernel's NUL-terminated buffer.
     */
    static UnsignedInt parseUnsignedInt(byte[] data) {
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        int p = 0;
        if (p < end && data[p] == '+') {
            p++;
        }
        Digits digits = parseDigits(data, p, end);
        if (digits.overflow()) {
            return new UnsignedInt(0, Errno.ERANGE);
        }
        if (digits.count() == 0) {
            return new UnsignedInt(0, Errno.EINVAL);
        }
        int q = digits.end();
        if (q < end && data[q] == '\n') {
            q++;
        }
        if (q < end) {
            return new UnsignedInt(0, Errno.EINVAL);
        }
        if (Long.compareUnsigned(digits.value(), 0xFFFF_FFFFL) > 0) {
            return new UnsignedInt(0, Errno.ERANGE);
        }
        return new UnsignedInt(digits.value(), null);
    }

    /** Digits after the base prefix: value (unsigned 64-bit), where they end, how many, whether they overflowed. */
    private record Digits(long value, int end, int count, boolean overflow) {}

    private static Digits parseDigits(byte[] data, int from, int to) {
        int base = 10;
        int p = from;
        if (p < to && data[p] == '0') {
            if (p + 2 < to && (data[p + 1] | 0x20) == 'x' && digit(data[p + 2], 16) >= 0) {
                base = 16;
                p += 2;
            } else {
                base = 8;
            }
        }
        long value = 0;
        boolean overflow = false;
        int start = p;
        for (int d; p < to && (d = digit(data[p], base)) >= 0; p++) {
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L - d, base)) > 0) {
                overflow = true;
            }
            value = value * base + d;
        }
        return new Digits(value, p, p - start, overflow);
    }

    private static int digit(byte b, int base) {
        int d;
        if (b >= '0' && b <= '9') {
            d = b - '0';
        } else if ((b | 0x20) >= 'a' && (b | 0x20) <= 'f') {
            d = (b | 0x20) - 'a' + 10;
        } else {
            return -1;
        }
        return d < base ? d : -1;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** The kernel's isspace: \t \n \v \f \r, space, and Latin-1 no-break space (0xA0). */
    private static int skipSpaces(byte[] data, int from, int to) {
        while (from < to && ((data[from] >= 9 && data[from] <= 13) || data[from] == ' ' || data[from] == (byte) 0xA0)) {
            from++;
        }
        return from;
    }
}
