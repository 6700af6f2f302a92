package dev.wgpr.client.dns;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.xbill.DNS.config.ResolvConfResolverConfigProvider;

/** The nameservers a resolv.conf names, read as dnsjava reads the system's (any path, for tests). */
public final class ResolvConfServers extends ResolvConfResolverConfigProvider {
    private ResolvConfServers() {}

    /** The {@code nameserver} lines of {@code file}, port 53; none when there is no such file. */
    public static List<InetSocketAddress> read(Path file) throws IOException {
        ResolvConfServers reader = new ResolvConfServers();
        try (InputStream in = Files.newInputStream(file)) {
            reader.parseResolvConf(in);
        } catch (NoSuchFileException absent) {
            return List.of();
        }
        return reader.servers();
    }

    /** The {@code nameserver} lines of {@code text}, a resolv.conf's content, port 53. */
    static List<InetSocketAddress> parse(String text) throws IOException {
        ResolvConfServers reader = new ResolvConfServers();
        reader.parseResolvConf(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        return reader.servers();
    }
}
