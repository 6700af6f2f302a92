package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.Incoming;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.InvalidGrantException;
import dev.wgpr.enforcement.policy.Listen;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The config's value parsers: each turns text into a value or throws an {@link
 * InvalidValueException} with the reason to report. Messages never contain key material.
 */
final class Values {
    /** A key file is 44 characters of base64 and a newline; anything much longer is no key file. */
    private static final int MAX_KEY_FILE_BYTES = 1024;

    private Values() {}

    static Key key(String base64) {
        Key key;
        try {
            key = Key.fromBase64(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(Reason.BAD_KEY, "not a WireGuard key: " + e.getMessage());
        }
        if (key.isZero()) {
            throw new InvalidValueException(Reason.BAD_KEY, "an all-zero key is no key");
        }
        return key;
    }

    /** Reads a key written by {@code wg genkey > FILE}: the key, then optional whitespace. */
    static Key keyFile(Path file, KeyFiles files) {
        byte[] content;
        try {
            // Bounded by what is read, not by the size the file reports: a device reports 0 and never ends.
            try (InputStream in = files.open(file)) {
                content = in.readNBytes(MAX_KEY_FILE_BYTES + 1);
            }
            if (content.length > MAX_KEY_FILE_BYTES) {
                throw new InvalidValueException(Reason.BAD_KEY, "key file '" + file + "' is too long to hold a key");
            }
        } catch (NoSuchFileException e) {
            throw new InvalidValueException(Reason.UNREADABLE_KEY_FILE, "key file '" + file + "' does not exist");
        } catch (IOException | SecurityException e) {
            throw new InvalidValueException(
                    Reason.UNREADABLE_KEY_FILE, "cannot read key file '" + file + "': " + e.getMessage());
        }
        try {
            return key(new String(content, StandardCharsets.US_ASCII));
        } catch (InvalidValueException e) {
            throw new InvalidValueException(e.reason(), "key file '" + file + "': " + e.getMessage());
        }
    }

    /** As wg-quick warns about its config: a key file others may read or change is a leaked key. */
    static Optional<String> keyFileAccessWarning(Path file) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty(); // unreadable files are reported as errors already
        }
        if (permissions.contains(PosixFilePermission.OTHERS_READ)
                || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of("`" + file + "' is world accessible");
        }
        if (permissions.contains(PosixFilePermission.GROUP_READ)
                || permissions.contains(PosixFilePermission.GROUP_WRITE)) {
            return Optional.of("`" + file + "' is group accessible");
        }
        return Optional.empty();
    }

    static InterfaceAddress interfaceAddress(String text) {
        try {
            return InterfaceAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(Reason.BAD_ADDRESS, "bad address '" + text + "': " + e.getMessage());
        }
    }

    static InetAddress ipAddress(String text) {
        try {
            return IpPrefix.parseAddress(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(Reason.BAD_ADDRESS, e.getMessage());
        }
    }

    /** A prefix without host bits; with them, the message shows the prefix that was meant. */
    static IpPrefix prefix(String text) {
        InterfaceAddress address;
        try {
            address = InterfaceAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(Reason.BAD_PREFIX, "bad prefix '" + text + "': " + e.getMessage());
        }
        if (address.hasHostBits()) {
            throw new InvalidValueException(Reason.HOST_BITS_SET, address.hostBitsMessage());
        }
        return address.network();
    }

    static Grant grant(String text) {
        try {
            return Grant.parse(text);
        } catch (InvalidGrantException e) {
            Reason reason = switch (e.kind()) {
                case SYNTAX -> Reason.BAD_GRANT_SYNTAX;
                case PREFIX -> Reason.BAD_PREFIX;
                case HOST_BITS -> Reason.HOST_BITS_SET;
                case PORT_RANGE -> Reason.BAD_PORT_RANGE;
            };
            throw new InvalidValueException(reason, e.getMessage());
        }
    }

    static Listen listen(String text) {
        try {
            return Listen.parse(text);
        } catch (InvalidGrantException e) {
            Reason reason =
                    e.kind() == InvalidGrantException.Kind.PORT_RANGE ? Reason.BAD_PORT_RANGE : Reason.BAD_LISTEN;
            throw new InvalidValueException(reason, e.getMessage());
        }
    }

    static Incoming incoming(String text) {
        return Arrays.stream(Incoming.values())
                .filter(incoming -> incoming.text().equals(text))
                .findFirst()
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_INCOMING,
                        "incoming must be \"apps\" (the apps' listen ports, from their grants' prefixes), \"none\""
                                + " (no listener) or \"all\" (every listener, from the tunnel's peers), not '"
                                + text + "'"));
    }

    static String interfaceName(String name) {
        if (!InterfaceConfig.isValidName(name)) {
            throw new InvalidValueException(
                    Reason.BAD_INTERFACE_NAME,
                    "'" + name + "' is not a Linux interface name: 1 to 15 of a-z A-Z 0-9 _ = + . -, not . or ..");
        }
        return name;
    }

    static String appName(String name) {
        if (!AppConfig.isValidName(name)) {
            throw new InvalidValueException(
                    Reason.BAD_APP_NAME,
                    "'" + name + "' cannot name an app: it becomes a cgroup directory, so 1 to 64 of a-z 0-9 . _ -,"
                            + " starting with a letter or digit");
        }
        return name;
    }

    static String peerName(String name) {
        if (!PeerConfig.isValidName(name)) {
            throw new InvalidValueException(
                    Reason.BAD_PEER_NAME, "a peer name is 1 to 64 printable characters, not '" + name + "'");
        }
        return name;
    }

    static Path exec(String text) {
        if (!text.startsWith("/") || text.indexOf('\0') >= 0) {
            throw new InvalidValueException(
                    Reason.EXEC_NOT_ABSOLUTE,
                    "exec must be an absolute path, such as /usr/bin/ssh, not '" + text + "'");
        }
        return Path.of(text);
    }

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?|_[a-z0-9-]{1,62}");

    /**
     * A zone the tunnel's DNS servers answer for, as written in {@code dnsDomains}: lower case, without
     * the root's trailing dot ({@code Corp.Example.} is {@code corp.example}).
     */
    static String dnsDomain(String text) {
        String name = text.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        boolean valid = !name.isEmpty()
                && name.length() <= 253
                && Arrays.stream(name.split("\\.", -1))
                        .allMatch(label -> DNS_LABEL.matcher(label).matches());
        if (!valid) {
            throw new InvalidValueException(
                    Reason.BAD_DNS_DOMAIN,
                    "'" + text + "' is not a DNS domain such as corp.example or 20.10.in-addr.arpa (letters,"
                            + " digits and hyphens in labels of at most 63, dot-separated)");
        }
        return name;
    }

    static DnsConfig.Access dnsAccess(String text) {
        return DnsConfig.Access.of(text)
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_DNS_ACCESS,
                        "dnsAccess must be \"apps\" (only the apps of the peers learn internal names) or"
                                + " \"everyone\", not '" + text + "'"));
    }

    static AppConfig.Children children(String text) {
        return AppConfig.Children.of(text)
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_CHILDREN,
                        "children must be \"same-exec\" (only the app's own program, and its allowExec ones, get"
                                + " its grants) or \"any\" (every process the app starts), not '" + text + "'"));
    }

    /** A regular expression for {@code args}, checked to compile. */
    static String argsPattern(String text) {
        try {
            Pattern.compile(text);
            return text;
        } catch (PatternSyntaxException e) {
            throw new InvalidValueException(
                    Reason.BAD_ARGS_PATTERN,
                    "args is not a regular expression: " + e.getDescription() + " at index " + e.getIndex());
        }
    }

    static String sha256(String text) {
        if (!AppConfig.isValidSha256(text.toLowerCase(Locale.ROOT))) {
            throw new InvalidValueException(
                    Reason.BAD_SHA256,
                    "sha256 must be 64 hex digits, as sha256sum prints them; got " + text.length() + " characters");
        }
        return HexFormat.of().formatHex(HexFormat.of().parseHex(text));
    }
}
