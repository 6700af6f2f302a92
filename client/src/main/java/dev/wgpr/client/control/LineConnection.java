package dev.wgpr.client.control;

import java.io.IOException;

/** A connection that carries the control protocol's lines, without descriptors. */
public interface LineConnection extends AutoCloseable {
    /** Sends one line (a newline is added). */
    void sendLine(String line) throws IOException;

    /**
     * The next line.
     *
     * @throws java.io.EOFException when the peer closed the connection before a whole line
     */
    String receiveLine() throws IOException;

    @Override
    void close();
}
