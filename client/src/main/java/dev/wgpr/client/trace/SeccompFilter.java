package dev.wgpr.client.trace;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The classic BPF program the traced process installs: {@code SECCOMP_RET_USER_NOTIF} for every {@link
 * Syscall} of each {@link Abi} (x86-64, x32 and i386: a program must not connect unseen through {@code int
 * 0x80} or an x32 call), except a {@code sendto} without an address (a connected socket's send, which goes
 * where its {@code connect} already said: announcing each would cost a round trip per write); {@code
 * SECCOMP_RET_ALLOW} for everything else, and for an architecture this host does not run.
 */
final class SeccompFilter {
    static final int RET_ALLOW = 0x7fff0000;
    static final int RET_USER_NOTIF = 0x7fc00000;
    static final short LD_W_ABS = 0x20;
    static final short JA = 0x05;
    static final short JEQ_K = 0x15;
    static final short JGE_K = 0x35;
    static final short RET_K = 0x06;
    /** Offsets in {@code struct seccomp_data}: nr, arch, then args[6] from 16. */
    static final int NR = 0;

    static final int ARCH = 4;
    private static final int SENDTO_ADDRESS_LOW = 16 + 8 * 4;
    private static final int SENDTO_ADDRESS_HIGH = SENDTO_ADDRESS_LOW + 4;

    private SeccompFilter() {}

    /** The program as {@code struct sock_filter[]}, in hex (what {@link TraceStep} passes to the traced process). */
    static String hex() {
        return HexFormat.of().formatHex(program());
    }

    static byte[] program() {
        Program p = new Program();
        p.load(ARCH);
        p.jeq(Abi.I386.arch, "i386", null);
        p.jeq(Abi.X86_64.arch, null, "allow");
        p.load(NR);
        p.jge(Abi.X32_SYSCALL_BIT, "x32", null);
        calls(p, Abi.X86_64);
        p.label("x32");
        calls(p, Abi.X32);
        p.label("i386");
        p.load(NR);
        calls(p, Abi.I386);
        // sendto: announced only with an address (args[4], 64 bits: both halves zero is NULL)
        p.label("sendto");
        p.load(SENDTO_ADDRESS_LOW);
        p.jeq(0, null, "notify");
        p.load(SENDTO_ADDRESS_HIGH);
        p.jeq(0, "allow", "notify");
        p.label("allow");
        p.ret(RET_ALLOW);
        p.label("notify");
        p.ret(RET_USER_NOTIF);
        return p.bytes();
    }

    /** With the call's number loaded: jumps to notify (sendto: to its address check) for {@code abi}'s calls, else to allow. */
    private static void calls(Program p, Abi abi) {
        for (Syscall call : Syscall.values()) {
            if (call.number(abi) >= 0) {
                p.jeq(call.number(abi), call == Syscall.SENDTO ? "sendto" : "notify", null);
            }
        }
        p.ja("allow");
    }

    /**
     * {@code struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }}, little-endian, with forward
     * jumps to labels (null: the next instruction) resolved once the program is complete.
     */
    private static final class Program {
        private record Instruction(short code, String jt, String jf, int k) {}

        private final List<Instruction> instructions = new ArrayList<>();
        private final Map<String, Integer> labels = new HashMap<>();

        void label(String name) {
            labels.put(name, instructions.size());
        }

        void load(int offset) {
            instructions.add(new Instruction(LD_W_ABS, null, null, offset));
        }

        void jeq(int k, String jt, String jf) {
            instructions.add(new Instruction(JEQ_K, jt, jf, k));
        }

        void jge(int k, String jt, String jf) {
            instructions.add(new Instruction(JGE_K, jt, jf, k));
        }

        void ja(String target) {
            instructions.add(new Instruction(JA, target, null, 0));
        }

        void ret(int k) {
            instructions.add(new Instruction(RET_K, null, null, k));
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int at = 0; at < instructions.size(); at++) {
                Instruction i = instructions.get(at);
                int jt = offset(i.jt(), at);
                int jf = offset(i.jf(), at);
                int k = i.code() == JA ? jt : i.k();
                if (i.code() == JA) {
                    jt = 0;
                }
                if (jt > 255 || jf > 255) {
                    throw new IllegalStateException("jump out of range: " + jt + "/" + jf);
                }
                out.write(i.code() & 0xff);
                out.write(i.code() >> 8 & 0xff);
                out.write(jt);
                out.write(jf);
                for (int shift = 0; shift < 32; shift += 8) {
                    out.write(k >>> shift & 0xff);
                }
            }
            return out.toByteArray();
        }

        private int offset(String label, int at) {
            if (label == null) {
                return 0;
            }
            Integer target = labels.get(label);
            if (target == null || target <= at) {
                throw new IllegalStateException("no label " + label + " after " + at);
            }
            return target - at - 1;
        }
    }
}
