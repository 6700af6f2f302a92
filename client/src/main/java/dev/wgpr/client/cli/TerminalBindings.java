package dev.wgpr.client.cli;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.common.linux.Downcalls;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.Syscall;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code <termios.h>} and {@code <pty.h>} (glibc 2.34+, where {@code openpty} moved into libc), for
 * {@link TerminalRelay}. Each handle is linked on its first call.
 */
final class TerminalBindings {
    /** {@code struct termios} is 60 bytes on x86-64; kept whole, never read field by field. */
    static final long TERMIOS_SIZE = 64;

    /** {@code struct winsize}: rows, columns and two unused pixel sizes, 16 bits each. */
    static final long WINSIZE_SIZE = 8;

    private static final long TCGETS = 0x5401;
    private static final long TIOCGWINSZ = 0x5413;
    private static final long TIOCSWINSZ = 0x5414;
    private static final int TCSADRAIN = 1;

    private TerminalBindings() {}

    private static final class tcgetattr$Holder {
        static final MethodHandle MH = Downcalls.errno("tcgetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class tcsetattr$Holder {
        static final MethodHandle MH =
                Downcalls.errno("tcsetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class cfmakeraw$Holder {
        static final MethodHandle MH = Downcalls.plain("cfmakeraw", FunctionDescriptor.ofVoid(ADDRESS));
    }

    private static final class openpty$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "openpty", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    }

    /**
     * Whether {@code fd} is a terminal: whether it has terminal settings, as glibc's isatty asks, through
     * {@link Syscall} (every {@code wg-pr run} asks at start, which a binding of its own would slow).
     */
    static boolean isatty(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment termios = arena.allocate(TERMIOS_SIZE, 8);
            return Syscall.invoke(Libc.allocateCallState(arena), Syscall.IOCTL, fd, TCGETS, termios.address()) == 0;
        }
    }

    /** The terminal settings of {@code fd}, into a segment of {@link #TERMIOS_SIZE} bytes. */
    static MemorySegment attributes(int fd, Arena arena) throws ErrnoException {
        MemorySegment termios = arena.allocate(TERMIOS_SIZE, 8);
        Downcalls.call("tcgetattr", state -> (int) tcgetattr$Holder.MH.invokeExact(state, fd, termios));
        return termios;
    }

    /** Sets {@code fd}'s terminal settings once its pending output is written. */
    static void setAttributes(int fd, MemorySegment termios) throws ErrnoException {
        Downcalls.call("tcsetattr", state -> (int) tcsetattr$Holder.MH.invokeExact(state, fd, TCSADRAIN, termios));
    }

    /** A copy of {@code termios} in raw mode: no echo, no line editing, no signals from keys. */
    static MemorySegment raw(MemorySegment termios, Arena arena) {
        MemorySegment raw = arena.allocate(TERMIOS_SIZE, 8).copyFrom(termios);
        try {
            cfmakeraw$Holder.MH.invokeExact(raw);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return raw;
    }

    /** The window size of terminal {@code fd}. */
    static MemorySegment windowSize(int fd, Arena arena) throws ErrnoException {
        MemorySegment size = arena.allocate(WINSIZE_SIZE, 8);
        Libc.ioctl(fd, TIOCGWINSZ, size, "TIOCGWINSZ");
        return size;
    }

    static void setWindowSize(int fd, MemorySegment size) throws ErrnoException {
        Libc.ioctl(fd, TIOCSWINSZ, size, "TIOCSWINSZ");
    }

    /** A new pseudo-terminal with {@code termios} and {@code size}: its master and slave descriptors. */
    static int[] openpty(MemorySegment termios, MemorySegment size) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment master = arena.allocate(JAVA_INT);
            MemorySegment slave = arena.allocate(JAVA_INT);
            Downcalls.call("openpty", state ->
                    (int) openpty$Holder.MH.invokeExact(state, master, slave, MemorySegment.NULL, termios, size));
            return new int[] {master.get(JAVA_INT, 0), slave.get(JAVA_INT, 0)};
        }
    }
}
