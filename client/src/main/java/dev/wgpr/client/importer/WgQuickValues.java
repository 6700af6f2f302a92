package dev.wgpr.client.importer;

import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.tunnel.crypto.Key;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Parsers for wg-quick values, each accepting what wg and wg-quick accept and throwing {@link
 * IllegalArgumentException} with the reason otherwise.
 */
final class WgQuickValues {
    private static final Pattern DECIMAL = Pattern.compile("\\d{1,10}");
    private static final Pattern HOSTNAME_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern ALL_DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");
    /** wg-quick's own test for a DNS entry being an address rather than a search domain. */
    private static final Pattern DNS_ADDRESS_LIKE = Pattern.compile("[0-9.]+|.*:.*");

    private static final int MAX_PORT = 65535;

    private WgQuickValues() {}

    /** The entries of a comma-separated list, as wg splits AllowedIPs: empty entries are ignored. */
    static List<String> commaList(String value) {
        return Arrays.stream(value.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    /** The entries of Address and DNS, which wg-quick splits at commas and at spaces alike. */
    static List<String> wordList(String value) {
        return Arrays.stream(value.split("[,\\s]+")).filter(s -> !s.isEmpty()).toList();
    }

    /** A key in wg's base64, returned as given (wg accepts only its canonical spelling). */
    static String key(String value) {
        Key key;
        try {
            key = Key.fromBase64(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a WireGuard key (" + e.getMessage() + ")", e);
        }
        if (key.isZero()) {
            throw new IllegalArgumentException("an all-zero key is no key");
        }
        return value;
    }

    /** The public key of a private key that {@link #key} accepted. */
    static String publicKeyOf(String privateKey) {
        return Key.fromBase64(privateKey).publicKey().toBase64();
    }

    static int number(String value, int min, int max) {
        if (!DECIMAL.matcher(value).matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a number");
        }
        long number = Long.parseLong(value);
        if (number < min || number > max) {
            throw new IllegalArgumentException(value + " is outside " + min + ".." + max);
        }
        return (int) number;
    }

    static int port(String value) {
        return number(value, 0, MAX_PORT);
    }

    /** What {@code ip link set mtu} takes; wg-pr's narrower range is the converter's business. */
    static int mtu(String value) {
        return number(value, 0, Integer.MAX_VALUE);
    }

    /** Seconds between keepalives; {@code off} and 0 both mean none, as in wg. */
    static int persistentKeepalive(String value) {
        return value.equalsIgnoreCase("off") ? 0 : number(value, 0, MAX_PORT);
    }

    /**
     * An interface address: {@code ADDRESS[/LENGTH]}. Host bits are the point here (10.8.0.2/24
     * is the address 10.8.0.2 on a /24), so unlike allowed IPs they are kept.
     */
    static String interfaceAddress(String value) {
        return InterfaceAddress.parse(value).toString();
    }

    /** An allowed-IPs entry; host bits are allowed here, as wg allows them, and cleared later. */
    static InterfaceAddress allowedIp(String value) {
        return InterfaceAddress.parse(value);
    }

    /** Whether a DNS entry is a server address (else wg-quick takes it as a search domain). */
    static boolean looksLikeDnsAddress(String value) {
        return DNS_ADDRESS_LIKE.matcher(value).matches();
    }

    static String dnsServer(String value) {
        return IpText.of(IpPrefix.parseAddress(value));
    }

    /**
     * {@code HOST:PORT} or {@code [IPV6]:PORT}, host an IPv4 address or a DNS name (resolved
     * when the tunnel comes up, not here). IPv6 addresses are written canonically.
     */
    static String endpoint(String value) {
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + value + "' is not [IPV6]:PORT");
            }
            InetAddress address = IpPrefix.parseAddress(value.substring(1, close));
            if (!(address instanceof Inet6Address)) {
                throw new IllegalArgumentException("'" + value + "': brackets are for IPv6 addresses only");
            }
            host = "[" + IpText.of(address) + "]";
            port = value.substring(close + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + value + "' has no port; expected HOST:PORT");
            }
            if (value.indexOf(':') != colon) {
                throw new IllegalArgumentException(
                        "'" + value + "': an IPv6 endpoint needs brackets, as in [2001:db8::1]:51820");
            }
            host = value.substring(0, colon);
            if (!isHostname(host)) {
                throw new IllegalArgumentException("'" + host + "' is neither an IPv4 address nor a host name");
            }
            port = value.substring(colon + 1);
        }
        return host + ":" + number(port, 1, MAX_PORT);
    }

    private static boolean isHostname(String host) {
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (name.isEmpty() || name.length() > 253) {
            return false;
        }
        if (ALL_DIGITS_AND_DOTS.matcher(name).matches()) {
            // Looks like an IPv4 address, so it must be one: 10.0.0.300 is a typo, not a name.
            try {
                IpPrefix.parseAddress(name);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return Arrays.stream(name.split("\\.", -1))
                .allMatch(label -> HOSTNAME_LABEL.matcher(label).matches());
    }
}
