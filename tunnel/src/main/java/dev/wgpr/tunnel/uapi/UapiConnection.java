package dev.wgpr.tunnel.uapi;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;

/**
 * Serves the requests of one client connection in sequence, as wireguard-go does: {@code get=1}
 * followed by an empty line, or {@code set=1} followed by lines up to an empty line (or the end of
 * input, which wireguard-go also takes as the end of the request). An unknown operation closes the
 * connection without a reply.
 *
 * <p>Input is bounded: a line longer than {@link #MAX_LINE_BYTES} (bufio.Scanner's limit in
 * wireguard-go) or a request larger than {@link #MAX_REQUEST_BYTES} gets {@code errno=-5} and the
 * connection is closed, because the rest of the stream can no longer be trusted to be in step. A
 * bad line in an otherwise readable request is answered after the request's end, and the
 * connection stays usable.
 */
final class UapiConnection {
    static final int MAX_LINE_BYTES = 65_535;
    static final long MAX_REQUEST_BYTES = 64L << 20;

    private static final System.Logger LOG = System.getLogger(UapiConnection.class.getName());
    private static final int END_OF_INPUT = -1;
    private static final int TOO_LONG = -2;

    private final InputStream in;
    private final OutputStream out;
    private final UapiDevice device;
    private final StringBuilder line = new StringBuilder();
    private long requestBytes;

    UapiConnection(InputStream in, OutputStream out, UapiDevice device) {
        this.in = new BufferedInputStream(in);
        this.out = out;
        this.device = device;
    }

    /** Serves until the client closes, sends an unknown operation, or the stream is out of step. */
    void serve() throws IOException {
        while (true) {
            requestBytes = 0;
            if (readLine() != '\n') {
                return;
            }
            boolean keepGoing = switch (line.toString()) {
                case "get=1" -> serveGet();
                case "set=1" -> serveSet();
                default -> {
                    LOG.log(Level.DEBUG, "invalid UAPI operation; closing the connection");
                    yield false;
                }
            };
            if (!keepGoing) {
                return;
            }
        }
    }

    private boolean serveGet() throws IOException {
        int next = in.read();
        if (next == END_OF_INPUT) {
            return false;
        }
        if (next != '\n') {
            // wireguard-go replies EINVAL, then reads the rest of the line as an operation and hangs
            // up on it; we hang up directly.
            reply(UapiException.INVALID);
            return false;
        }
        String body = GetResponse.format(device);
        out.write((body + "errno=0\n\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return true;
    }

    private boolean serveSet() throws IOException {
        SetRequestParser parser = new SetRequestParser();
        UapiException failure = null;
        while (true) {
            int end = readLine();
            if (end == TOO_LONG) {
                reply(UapiException.IO);
                return false;
            }
            if (line.isEmpty()) {
                break; // the blank line, or the end of input: both end the request
            }
            if (failure == null) {
                try {
                    parser.accept(line.toString());
                } catch (UapiException e) {
                    failure = e; // keep reading to the request's end, so the stream stays in step
                }
            }
            if (end == END_OF_INPUT) {
                break;
            }
        }
        if (failure == null) {
            try {
                device.apply(parser.finish());
            } catch (UapiException e) {
                failure = e;
            }
        }
        if (failure != null) {
            LOG.log(Level.DEBUG, "UAPI set refused: {0}", failure.getMessage());
        }
        reply(failure == null ? 0 : failure.errno());
        return true;
    }

    /**
     * Reads one line into {@link #line} without its {@code \n}, bytes taken as ISO-8859-1 (the
     * protocol is ASCII; anything else simply fails to parse).
     *
     * @return {@code '\n'} for a complete line, {@link #END_OF_INPUT} when the input ended (the line
     *     holds what came before), {@link #TOO_LONG} when the line or the request exceeds its bound
     */
    private int readLine() throws IOException {
        line.setLength(0);
        while (true) {
            int b = in.read();
            if (b == END_OF_INPUT || b == '\n') {
                return b;
            }
            if (line.length() >= MAX_LINE_BYTES || ++requestBytes > MAX_REQUEST_BYTES) {
                return TOO_LONG;
            }
            line.append((char) b);
        }
    }

    private void reply(int errno) throws IOException {
        out.write(("errno=" + errno + "\n\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }
}
