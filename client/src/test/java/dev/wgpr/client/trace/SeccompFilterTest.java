package dev.wgpr.client.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The filter's program, run by a classic BPF interpreter of the few instructions it uses: for the i386
 * ABI no call can be made here (this kernel has no IA32 emulation: {@code int 0x80} faults), so what the
 * kernel would answer is read from the instructions themselves. TracerTest proves x32 and x86-64 on the
 * kernel.
 */
class SeccompFilterTest {
    private static final int I386_SOCKETCALL = 102;
    private static final int I386_CONNECT = 362;
    private static final int I386_SENDTO = 369;
    private static final int I386_SOCKET = 359;

    @Test
    void theI386AbisSocketCallsAreNotifiedCheckedByInterpretingTheFilterSinceNoI386CallCanBeMadeHere() {
        for (Syscall call : Syscall.values()) {
            int number = call.number(Abi.I386);
            if (number >= 0 && call != Syscall.SENDTO) {
                assertEquals(SeccompFilter.RET_USER_NOTIF, run(Abi.I386.arch, number, 0), call.name());
            }
        }
        assertEquals(SeccompFilter.RET_USER_NOTIF, run(Abi.I386.arch, I386_SOCKETCALL, 0), "socketcall");
        assertEquals(SeccompFilter.RET_USER_NOTIF, run(Abi.I386.arch, I386_CONNECT, 0), "connect");
        assertEquals(SeccompFilter.RET_USER_NOTIF, run(Abi.I386.arch, I386_SENDTO, 0x1000), "sendto to an address");
        assertEquals(SeccompFilter.RET_ALLOW, run(Abi.I386.arch, I386_SENDTO, 0), "a connected socket's send");
        assertEquals(SeccompFilter.RET_ALLOW, run(Abi.I386.arch, I386_SOCKET, 0), "socket");
        assertEquals(SeccompFilter.RET_ALLOW, run(Abi.I386.arch, Syscall.CONNECT.number, 0), "x86-64's number");
    }

    @Test
    void everyAbisCallsAreNotifiedAndOthersAllowed() {
        for (Abi abi : Abi.values()) {
            for (Syscall call : Syscall.values()) {
                int number = call.number(abi);
                if (number >= 0) {
                    assertEquals(SeccompFilter.RET_USER_NOTIF, run(abi.arch, number, 1), abi + " " + call);
                }
            }
        }
        assertEquals(SeccompFilter.RET_ALLOW, run(Abi.X86_64.arch, 0, 0), "read");
        assertEquals(SeccompFilter.RET_ALLOW, run(Abi.X86_64.arch, Syscall.SENDTO.number, 0), "send");
        assertEquals(SeccompFilter.RET_ALLOW, run(Abi.X32.arch, Syscall.SENDTO.number(Abi.X32), 0), "x32 send");
        assertEquals(SeccompFilter.RET_ALLOW, run(Abi.X32.arch, Abi.X32_SYSCALL_BIT, 0), "x32 read");
        assertEquals(SeccompFilter.RET_ALLOW, run(0xC00000B7, Syscall.CONNECT.number, 0), "another arch (aarch64)");
    }

    /**
     * What the filter returns for call {@code number} of {@code arch} whose args[4] (sendto's address) is
     * {@code address}: {@code struct seccomp_data} built and the program interpreted.
     */
    private static int run(int arch, int number, long address) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(SeccompFilter.NR, number);
        data.putInt(SeccompFilter.ARCH, arch);
        data.putLong(16 + 8 * 4, address);
        ByteBuffer program = ByteBuffer.wrap(SeccompFilter.program()).order(ByteOrder.LITTLE_ENDIAN);
        int accumulator = 0;
        for (int pc = 0; ; pc++) {
            short code = program.getShort(pc * 8);
            int jt = Byte.toUnsignedInt(program.get(pc * 8 + 2));
            int jf = Byte.toUnsignedInt(program.get(pc * 8 + 3));
            int k = program.getInt(pc * 8 + 4);
            switch (code) {
                case SeccompFilter.LD_W_ABS -> accumulator = data.getInt(k);
                case SeccompFilter.JA -> pc += k;
                case SeccompFilter.JEQ_K -> pc += accumulator == k ? jt : jf;
                case SeccompFilter.JGE_K -> pc += Integer.compareUnsigned(accumulator, k) >= 0 ? jt : jf;
                case SeccompFilter.RET_K -> {
                    return k;
                }
                default -> throw new AssertionError("instruction " + code + " at " + pc);
            }
        }
    }
}
