package dev.wgpr.testing.lab;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * What a host in a lab namespace got when it tried to reach a listener elsewhere (a peer behind a tunnel
 * reaching in to the client's listeners): whether the listener answered, and otherwise why not ("timeout"
 * when a dropped SYN or datagram left it waiting, the exception otherwise). The listeners answer at once: a
 * TCP listener writes two bytes to each connection it accepts, a UDP one sends each datagram back.
 *
 * @param answered whether the listener's answer came back within the wait
 * @param detail what came back, or why nothing did
 */
public record Reach(boolean answered, String detail) {
    /** Any local address and port: routing picks the source. */
    public static final InetSocketAddress ANY = new InetSocketAddress(0);

    /**
     * A TCP connection from {@code from}, bound to {@code local}, to {@code address}:{@code port}; answered when
     * the listener's two bytes came within {@code wait} (of the connect, then of the read).
     */
    public static Reach tcp(Namespace from, InetSocketAddress local, String address, int port, Duration wait) {
        return from.call(() -> {
            try (Socket socket = new Socket()) {
                socket.bind(local);
                socket.connect(new InetSocketAddress(address, port), (int) wait.toMillis());
                socket.setSoTimeout((int) wait.toMillis());
                int read = socket.getInputStream().readNBytes(2).length;
                return new Reach(read == 2, "read " + read + " bytes");
            } catch (SocketTimeoutException e) {
                return new Reach(false, "timeout");
            } catch (IOException e) {
                return new Reach(false, e.toString());
            }
        });
    }

    /**
     * One datagram from {@code from}, sent from {@code local}, to {@code address}:{@code port}; answered when a
     * datagram came back within {@code wait}.
     */
    public static Reach udp(Namespace from, InetSocketAddress local, String address, int port, Duration wait) {
        return from.call(() -> {
            try (DatagramSocket socket = new DatagramSocket(local)) {
                byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(hello, hello.length, new InetSocketAddress(address, port)));
                socket.setSoTimeout((int) wait.toMillis());
                socket.receive(new DatagramPacket(new byte[64], 64));
                return new Reach(true, "");
            } catch (SocketTimeoutException e) {
                return new Reach(false, "timeout");
            } catch (IOException e) {
                return new Reach(false, e.toString());
            }
        });
    }
}
