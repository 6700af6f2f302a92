package dev.wgpr.tunnel.uapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A raw UAPI client for tests: sends bytes, reads one reply (up to the blank line) or to EOF. */
final class UapiClient implements AutoCloseable {
    private final SocketChannel channel;

    private UapiClient(SocketChannel channel) {
        this.channel = channel;
    }

    static UapiClient connect(Path socket) throws IOException {
        return new UapiClient(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    /** One request on a fresh connection; the reply, or what came before the server hung up. */
    static String exchange(Path socket, String request) throws IOException {
        try (UapiClient client = connect(socket)) {
            return client.send(request).readReply();
        }
    }

    UapiClient send(String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        return this;
    }

    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /** Reads up to and including {@code errno=N\n\n}, or to the end of the stream. */
    String readReply() throws IOException {
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (channel.read(one) < 0) {
                return reply.toString(StandardCharsets.ISO_8859_1);
            }
            reply.write(one.get(0));
            String text = reply.toString(StandardCharsets.ISO_8859_1);
            if (text.endsWith("\n\n") && (text.startsWith("errno=") || text.contains("\nerrno="))) {
                return text;
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
