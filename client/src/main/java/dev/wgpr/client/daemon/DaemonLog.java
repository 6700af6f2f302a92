package dev.wgpr.client.daemon;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The daemon's standard error as its log: every line starts with the time it was written (UTC, to the
 * millisecond), stack traces included; under systemd, whose journal stamps each line itself ({@value
 * #JOURNAL_STREAM} set), lines go out as written.
 */
public final class DaemonLog {
    /** Set by systemd when standard error is connected to the journal. */
    public static final String JOURNAL_STREAM = "JOURNAL_STREAM";

    private DaemonLog() {}

    /** Replaces {@link System#err} with the stamping stream, unless the journal stamps the lines. */
    public static void install(Map<String, String> environment) {
        if (!environment.containsKey(JOURNAL_STREAM)) {
            System.setErr(stamped(System.err, () -> Instant.now().truncatedTo(ChronoUnit.MILLIS)));
        }
    }

    static PrintStream stamped(OutputStream out, Supplier<Instant> clock) {
        return new PrintStream(new LineStamps(out, clock), true, StandardCharsets.UTF_8);
    }

    /** Writes {@code TIME } before the first byte of every line. */
    private static final class LineStamps extends FilterOutputStream {
        private final Supplier<Instant> clock;
        private boolean lineStart = true;

        LineStamps(OutputStream out, Supplier<Instant> clock) {
            super(out);
            this.clock = clock;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            if (lineStart) {
                out.write((clock.get() + " ").getBytes(StandardCharsets.US_ASCII));
            }
            out.write(b);
            lineStart = b == '\n';
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            int start = offset;
            int end = offset + length;
            for (int i = offset; i < end; i++) {
                if (lineStart) {
                    out.write(bytes, start, i - start);
                    out.write((clock.get() + " ").getBytes(StandardCharsets.US_ASCII));
                    start = i;
                }
                lineStart = bytes[i] == '\n';
            }
            out.write(bytes, start, end - start);
        }
    }
}
