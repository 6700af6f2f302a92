package dev.wgpr.client.demo;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The lab's web servers: answers every HTTP request with one line of text. Started by {@link DemoLab}
 * inside a namespace as {@code java -cp … DemoWebServer LAB ADDRESS PORT TEXT}; the lab name is in
 * the arguments so that clean-up can recognize the process by its command line before ending it.
 */
public final class DemoWebServer {
    private DemoWebServer() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: DemoWebServer LAB ADDRESS PORT TEXT");
            System.exit(2);
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2]));
        byte[] body = (args[3] + "\n").getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(address, 16);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        // The lab waits for this line before it goes on.
        System.out.println("listening on " + args[1] + ":" + args[2]);
        System.out.flush();
    }
}
