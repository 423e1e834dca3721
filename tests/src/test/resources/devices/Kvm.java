import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.ResourceScope;
import jdk.incubator.foreign.SymbolLookup;

/**
 * Opens a KVM device read-write, as a hypervisor does, and asks KVM_GET_API_VERSION (ioctl 0xAE00): prints
 * "KVM_GET_API_VERSION 12", or "open PATH: errno N" and exits 1. For the JDK 17 of the image jsysbox/jdk, where the
 * foreign function API is the incubator's (java.lang.foreign came with JDK 22):
 * java --add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED Kvm.java [PATH]
 */
public class Kvm {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final long KVM_GET_API_VERSION = 0xAE00;

    public static void main(String[] args) throws Throwable {
        String path = args.length > 0 ? args[0] : "/dev/kvm";
        CLinker linker = CLinker.getInstance();
        SymbolLookup libc = CLinker.systemLookup();
        MethodHandle open = linker.downcallHandle(libc.lookup("open").orElseThrow(),
                MethodType.methodType(int.class, MemoryAddress.class, int.class),
                FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_INT));
        MethodHandle ioctl = linker.downcallHandle(libc.lookup("ioctl").orElseThrow(),
                MethodType.methodType(int.class, int.class, long.class, long.class),
                FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_LONG, CLinker.asVarArg(CLinker.C_LONG)));
        MethodHandle errnoLocation = linker.downcallHandle(libc.lookup("__errno_location").orElseThrow(),
                MethodType.methodType(MemoryAddress.class), FunctionDescriptor.of(CLinker.C_POINTER));
        try (ResourceScope scope = ResourceScope.newConfinedScope()) {
            int fd = (int) open.invokeExact(CLinker.toCString(path, scope).address(), O_RDWR | O_CLOEXEC);
            if (fd < 0) {
                MemoryAddress errno = (MemoryAddress) errnoLocation.invokeExact();
                System.out.println("open " + path + ": errno " + MemoryAccess.getInt(errno.asSegment(4, scope)));
                System.exit(1);
            }
            int version = (int) ioctl.invokeExact(fd, KVM_GET_API_VERSION, 0L);
            System.out.println("KVM_GET_API_VERSION " + version);
        }
    }
}
