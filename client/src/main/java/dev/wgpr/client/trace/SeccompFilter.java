package dev.wgpr.client.trace;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/**
 * The classic BPF program the traced process installs: {@code SECCOMP_RET_USER_NOTIF} for every {@link
 * Syscall} of the x86-64 ABI, except a {@code sendto} without an address (a connected socket's send, which
 * goes where its {@code connect} already said: announcing each would cost a round trip per write); {@code
 * SECCOMP_RET_ALLOW} for everything else. Another ABI (i386, x32) is let through unseen: the report says
 * so in its design note, not per attempt.
 */
final class SeccompFilter {
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int RET_ALLOW = 0x7fff0000;
    private static final int RET_USER_NOTIF = 0x7fc00000;
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short RET_K = 0x06;
    /** Offsets in {@code struct seccomp_data}: nr, arch, then args[6] from 16. */
    private static final int NR = 0;

    private static final int ARCH = 4;
    private static final int SENDTO_ADDRESS_LOW = 16 + 8 * 4;
    private static final int SENDTO_ADDRESS_HIGH = SENDTO_ADDRESS_LOW + 4;

    private SeccompFilter() {}

    /** The program as {@code struct sock_filter[]}, in hex (what {@link TraceStep} passes to the traced process). */
    static String hex() {
        return HexFormat.of().formatHex(program());
    }

    static byte[] program() {
        Syscall[] notified = Syscall.values();
        // Forward jumps only (classic BPF): 0 ld arch; 1 jeq x86-64; 2 ld nr; 3 jge x32 → allow;
        // 4 jeq sendto, else to 9; 5-8 sendto: allow when args[4] is NULL, else notify;
        // 9.. jeq each other call → notify; then allow; notify.
        int others = notified.length - 1;
        int allow = 9 + others;
        int notify = allow + 1;
        Program p = new Program();
        p.add(LD_W_ABS, 0, 0, ARCH);
        p.add(JEQ_K, 0, allow - 2, AUDIT_ARCH_X86_64);
        p.add(LD_W_ABS, 0, 0, NR);
        p.add(JGE_K, allow - 4, 0, X32_SYSCALL_BIT);
        p.add(JEQ_K, 0, 4, Syscall.SENDTO.number);
        p.add(LD_W_ABS, 0, 0, SENDTO_ADDRESS_LOW);
        p.add(JEQ_K, 0, notify - 7, 0);
        p.add(LD_W_ABS, 0, 0, SENDTO_ADDRESS_HIGH);
        p.add(JEQ_K, allow - 9, notify - 9, 0);
        int at = 9;
        for (Syscall call : notified) {
            if (call != Syscall.SENDTO) {
                p.add(JEQ_K, notify - at - 1, 0, call.number);
                at++;
            }
        }
        p.add(RET_K, 0, 0, RET_ALLOW);
        p.add(RET_K, 0, 0, RET_USER_NOTIF);
        return p.bytes();
    }

    /** {@code struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }}, little-endian. */
    private static final class Program {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(short code, int jt, int jf, int k) {
            if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
                throw new IllegalStateException("jump out of range: " + jt + "/" + jf);
            }
            out.write(code & 0xff);
            out.write(code >> 8 & 0xff);
            out.write(jt);
            out.write(jf);
            for (int shift = 0; shift < 32; shift += 8) {
                out.write(k >>> shift & 0xff);
            }
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
