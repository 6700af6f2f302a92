package dev.wgpr.client.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** A DNS server on loopback for the forwarder's tests: A records from a map, over UDP and TCP on one port. */
final class FakeDnsServer implements AutoCloseable {
    enum Mode {
        ANSWER,
        /** Reads every query and answers none. */
        SILENT,
        /** Over UDP answers only with the truncation bit; over TCP in full. */
        TRUNCATE_UDP,
        /** Answers after half a second. */
        SLOW
    }

    /** A query as it reached this server. */
    record Seen(String name, int id, boolean tcp) {}

    private final Map<String, String> addresses;
    private final Mode mode;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    FakeDnsServer(InetAddress address, Map<String, String> addresses, Mode mode) throws IOException {
        this.addresses = addresses;
        this.mode = mode;
        this.udp = new DatagramSocket(new InetSocketAddress(address, 0));
        this.tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(address, udp.getLocalPort()));
        Thread.ofPlatform().daemon().start(this::serveUdp);
        Thread.ofPlatform().daemon().start(this::serveTcp);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) udp.getLocalSocketAddress();
    }

    List<String> names() {
        return seen.stream().map(Seen::name).toList();
    }

    private void serveUdp() {
        byte[] buffer = new byte[65_535];
        while (!udp.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                udp.receive(packet);
                Message query = new Message(java.util.Arrays.copyOf(buffer, packet.getLength()));
                seen.add(new Seen(
                        query.getQuestion().getName().toString(true),
                        query.getHeader().getID(),
                        false));
                if (mode == Mode.SILENT) {
                    continue;
                }
                if (mode == Mode.SLOW) {
                    Thread.sleep(500);
                }
                byte[] answer = answer(query, mode == Mode.TRUNCATE_UDP).toWire();
                udp.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
            } catch (IOException | InterruptedException e) {
                // closed, or junk that is no query
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket client = tcp.accept()) {
                DataInputStream in = new DataInputStream(client.getInputStream());
                byte[] wire = new byte[in.readUnsignedShort()];
                in.readFully(wire);
                Message query = new Message(wire);
                seen.add(new Seen(
                        query.getQuestion().getName().toString(true),
                        query.getHeader().getID(),
                        true));
                if (mode == Mode.SILENT) {
                    continue;
                }
                byte[] answer = answer(query, false).toWire();
                DataOutputStream out = new DataOutputStream(client.getOutputStream());
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            } catch (IOException e) {
                // closed
            }
        }
    }

    private Message answer(Message query, boolean truncated) throws IOException {
        Message answer = new Message(query.getHeader().getID());
        answer.getHeader().setFlag(Flags.QR);
        Record question = query.getQuestion();
        answer.addRecord(question, Section.QUESTION);
        if (truncated) {
            answer.getHeader().setFlag(Flags.TC);
            return answer;
        }
        String address = addresses.get(question.getName().toString(true).toLowerCase(java.util.Locale.ROOT));
        if (address == null) {
            answer.getHeader().setRcode(Rcode.NXDOMAIN);
        } else {
            answer.addRecord(
                    new ARecord(question.getName(), DClass.IN, 60, InetAddress.getByName(address)), Section.ANSWER);
        }
        return answer;
    }

    static Name name(String text) {
        return DnsRouting.zone(text);
    }

    @Override
    public void close() throws IOException {
        udp.close();
        tcp.close();
    }
}
