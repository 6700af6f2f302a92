package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.testing.RequiresRoot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code wg-pr daemon --foreground} under systemd's {@code Type=notify}: a real
 * AF_UNIX datagram socket plays systemd's notify socket; the real daemon, locked down as in
 * production, asks for a start timeout scaled to the machine's pace, says {@code READY=1} once its
 * control socket accepts and {@code STOPPING=1} on SIGTERM.
 */
@RequiresRoot
class SystemdReadinessTest {
    private final Instance instance = DaemonTesting.uniqueInstance();

    @AfterEach
    void cleanUp() throws Exception {
        DaemonTesting.cleanUp(instance);
    }

    @Test
    void aPacedStartTimeoutThenReadyOnceTheControlSocketAcceptsAndStoppingOnSigtermThroughAPathSocket()
            throws Exception {
        String path = DaemonTesting.scratch()
                .resolve("notify-" + instance.name() + ".sock")
                .toString();
        try (NotifySocket systemd = NotifySocket.bind(path)) {
            readyThenStopping(systemd, path);
        } finally {
            Files.deleteIfExists(Path.of(path));
        }
    }

    @Test
    void anAbstractNotifySocketNameWorksToo() throws Exception {
        String name =
                "@wg-pr-test-notify-" + HexFormat.of().formatHex(instance.name().getBytes(StandardCharsets.UTF_8));
        try (NotifySocket systemd = NotifySocket.bind(name)) {
            readyThenStopping(systemd, name);
        }
    }

    private void readyThenStopping(NotifySocket systemd, String name) throws Exception {
        Process daemon = Cli.root(instance)
                .withEnvironment(Map.of("NOTIFY_SOCKET", name))
                .start("daemon", "--foreground");
        // First the start's time, scaled to this machine's pace: at least systemd's default 90 s.
        String extend = systemd.receive(Duration.ofSeconds(60));
        assertTrue(extend.matches("EXTEND_TIMEOUT_USEC=[0-9]+\n"), extend);
        long extendedMicros = Long.parseLong(extend.substring(extend.indexOf('=') + 1, extend.length() - 1));
        assertTrue(extendedMicros >= 90_000_000L && extendedMicros <= 20 * 90_000_000L, extend);
        String ready = systemd.receive(Duration.ofSeconds(60));
        // READY=1 comes next, and by then `wg-pr up` can connect.
        try (UnixSocket control = UnixSocket.connect(instance.controlSocket())) {
            assertTrue(control.fd() >= 0);
        }
        assertTrue(ready.startsWith("READY=1\n"), ready);
        assertTrue(ready.contains("\nMAINPID=" + daemon.pid() + "\n"), "the pid systemd started: " + ready);
        assertTrue(ready.contains("\nSTATUS=instance " + instance.name()), ready);

        daemon.destroy(); // SIGTERM, as systemctl stop sends
        String stopping = systemd.receive(Duration.ofSeconds(20));
        assertTrue(stopping.startsWith("STOPPING=1\n"), stopping);
        // with the unit's 30 s stop timeout scaled to this machine's pace
        Matcher stopExtended =
                Pattern.compile("\nEXTEND_TIMEOUT_USEC=([0-9]+)\n").matcher(stopping);
        assertTrue(stopExtended.find(), stopping);
        long stopMicros = Long.parseLong(stopExtended.group(1));
        assertTrue(stopMicros >= 30_000_000L && stopMicros <= 20 * 30_000_000L, stopping);
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "the daemon ends after STOPPING=1");
        // The JVM ends a SIGTERM'd run with 128 + 15; the unit lists it in SuccessExitStatus.
        assertEquals(143, daemon.exitValue());
        assertFalse(Files.exists(instance.runtimeDirectory()), "the orderly stop ran to its end");
        assertEquals("", systemd.receive(Duration.ofMillis(200)), "nothing after STOPPING=1");
    }

    /** A bound, non-blocking AF_UNIX datagram socket, as systemd's notify socket is. */
    private record NotifySocket(int fd) implements AutoCloseable {
        static NotifySocket bind(String name) throws ErrnoException {
            int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC | Libc.O_NONBLOCK, 0);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment address = Libc.unixAddress(arena, name);
                MemorySegment state = Libc.allocateCallState(arena);
                Libc.check(Libc.bind(state, fd, address, (int) address.byteSize()), state, "bind " + name);
                return new NotifySocket(fd);
            } catch (ErrnoException e) {
                Libc.close(fd);
                throw e;
            } catch (Throwable t) {
                Libc.close(fd);
                throw new AssertionError(t);
            }
        }

        /** The next datagram, or "" when none came within {@code timeout}. */
        String receive(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(4096);
                MemorySegment state = Libc.allocateCallState(arena);
                while (true) {
                    long n = Libc.read(state, fd, buffer, buffer.byteSize());
                    if (n >= 0) {
                        return new String(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                    }
                    if (Libc.errno(state) != Libc.EAGAIN) {
                        throw new ErrnoException("read notify socket", Libc.errno(state));
                    }
                    if (System.nanoTime() > deadline) {
                        return "";
                    }
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        @Override
        public void close() throws ErrnoException {
            Libc.close(fd);
        }
    }
}
