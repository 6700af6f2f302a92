package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a peer is reached: {@code host:port} or {@code [v6]:port}. The host may be a name; it is
 * resolved at {@code up}, never while parsing.
 *
 * @param host an IP literal (IPv6 without brackets) or a DNS name
 */
public record Endpoint(String host, int port) {
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern LOOKS_NUMERIC = Pattern.compile("[0-9.]+");

    public Endpoint {
        Objects.requireNonNull(host, "host");
        checkHost(host);
        checkPort(port);
    }

    /**
     * Parses {@code host:port} or {@code [v6]:port}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Endpoint parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw bad(text, "expected [IPv6]:port, such as [fd00::1]:51820");
            }
            host = text.substring(1, close);
            if (host.indexOf(':') < 0) {
                throw bad(text, "brackets are for IPv6 addresses only");
            }
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw bad(text, "no port; expected host:port, such as vpn.example.com:51820");
            }
            host = text.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw bad(text, "an IPv6 endpoint needs brackets, such as [" + host + "]:" + text.substring(colon + 1));
            }
            port = text.substring(colon + 1);
        }
        if (!port.matches("[0-9]{1,9}")) {
            throw bad(text, "the port '" + port + "' is not a number");
        }
        return new Endpoint(host, Integer.parseInt(port));
    }

    private static InvalidValueException bad(String text, String why) {
        return new InvalidValueException(Reason.BAD_ENDPOINT, "bad endpoint '" + text + "': " + why);
    }

    private static void checkHost(String host) {
        if (host.indexOf(':') >= 0 || LOOKS_NUMERIC.matcher(host).matches()) {
            try {
                IpPrefix.parseAddress(host);
                return;
            } catch (IllegalArgumentException e) {
                throw new InvalidValueException(Reason.BAD_ENDPOINT, "bad endpoint host: " + e.getMessage());
            }
        }
        if (host.length() > 253 || !host.chars().allMatch(c -> c < 128) || !allLabelsValid(host)) {
            throw new InvalidValueException(
                    Reason.BAD_ENDPOINT, "bad endpoint host '" + host + "': neither an IP address nor a DNS name");
        }
    }

    private static boolean allLabelsValid(String host) {
        for (String label : host.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65_535) {
            throw new InvalidValueException(Reason.BAD_PORT, "endpoint port " + port + " is outside 1..65535");
        }
    }

    /** The host as an address when it is an IP literal; a name is resolved only at {@code up}. */
    public Optional<InetAddress> literalAddress() {
        try {
            return Optional.of(IpPrefix.parseAddress(host));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** As written in a config: {@code vpn.example.com:51820}, {@code [fd00::1]:51820}. */
    @Override
    public String toString() {
        Optional<InetAddress> address = literalAddress();
        if (address.isPresent()) {
            return IpText.endpoint(address.get(), port);
        }
        return host + ":" + port;
    }
}
