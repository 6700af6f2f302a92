package dev.wgpr.tunnel.uapi;

import dev.wgpr.tunnel.crypto.Key;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the lines of a {@code set=1} request into {@link SetOperation}s, with wireguard-go's errno
 * for the first bad line: {@code -EPROTO} for a line without {@code =}, {@code -EINVAL} for an
 * unknown key or a bad value. Device keys are valid only before the first {@code public_key}, peer
 * keys only after it: a key in the wrong place is unknown there, as in wireguard-go.
 */
final class SetRequestParser {
    private final List<SetOperation> operations = new ArrayList<>();
    private boolean inPeerSection;

    SetRequestParser() {}

    static SetRequest parse(List<String> lines) throws UapiException {
        SetRequestParser parser = new SetRequestParser();
        for (String line : lines) {
            parser.accept(line);
        }
        return parser.finish();
    }

    /** Parses one line as it arrives, so a large request is never held as text. */
    void accept(String line) throws UapiException {
        int equals = line.indexOf('=');
        if (equals < 0) {
            throw new UapiException(UapiException.PROTOCOL, "failed to parse line '" + line + "'");
        }
        String key = line.substring(0, equals);
        String value = line.substring(equals + 1);
        if (key.equals("public_key")) {
            inPeerSection = true;
        }
        operations.add(inPeerSection ? peerLine(key, value) : deviceLine(key, value));
    }

    SetRequest finish() {
        return new SetRequest(operations);
    }

    private static SetOperation deviceLine(String key, String value) throws UapiException {
        return switch (key) {
            case "private_key" -> new SetOperation.PrivateKey(parseKey(key, value));
            case "listen_port" -> new SetOperation.ListenPort((int) parseUnsigned(key, value, 16));
            case "fwmark" -> new SetOperation.Fwmark(parseUnsigned(key, value, 32));
            case "replace_peers" -> {
                requireTrue(key, value);
                yield new SetOperation.ReplacePeers();
            }
            default -> throw UapiException.invalid("invalid UAPI device key: " + key);
        };
    }

    private static SetOperation peerLine(String key, String value) throws UapiException {
        return switch (key) {
            case "public_key" -> new SetOperation.SelectPeer(parseKey(key, value));
            case "update_only" -> {
                requireTrue(key, value);
                yield new SetOperation.UpdateOnly();
            }
            case "remove" -> {
                requireTrue(key, value);
                yield new SetOperation.RemovePeer();
            }
            case "preshared_key" -> new SetOperation.PresharedKey(parseKey(key, value));
            case "endpoint" -> {
                try {
                    yield new SetOperation.Endpoint(UapiText.parseEndpoint(value));
                } catch (IllegalArgumentException e) {
                    throw invalidValue(key, value, e);
                }
            }
            case "persistent_keepalive_interval" ->
                new SetOperation.PersistentKeepalive((int) parseUnsigned(key, value, 16));
            case "replace_allowed_ips" -> {
                requireTrue(key, value);
                yield new SetOperation.ReplaceAllowedIps();
            }
            case "allowed_ip" -> {
                try {
                    yield new SetOperation.AllowedIp(UapiText.parsePrefix(value));
                } catch (IllegalArgumentException e) {
                    throw invalidValue(key, value, e);
                }
            }
            case "protocol_version" -> {
                if (!value.equals("1")) {
                    throw UapiException.invalid("invalid protocol version: " + value);
                }
                yield new SetOperation.ProtocolVersion();
            }
            default -> throw UapiException.invalid("invalid UAPI peer key: " + key);
        };
    }

    private static Key parseKey(String key, String value) throws UapiException {
        try {
            return UapiText.parseKey(value);
        } catch (IllegalArgumentException e) {
            throw invalidValue(key, "(redacted)", e); // never echo what may be a private key
        }
    }

    private static long parseUnsigned(String key, String value, int bits) throws UapiException {
        try {
            return UapiText.parseUnsigned(value, bits);
        } catch (IllegalArgumentException e) {
            throw invalidValue(key, value, e);
        }
    }

    /** Flags take only {@code true}; wireguard-go refuses {@code false} rather than ignoring it. */
    private static void requireTrue(String key, String value) throws UapiException {
        if (!value.equals("true")) {
            throw UapiException.invalid("invalid value for " + key + ": " + value);
        }
    }

    private static UapiException invalidValue(String key, String value, IllegalArgumentException cause) {
        UapiException failure = UapiException.invalid("bad " + key + " '" + value + "': " + cause.getMessage());
        failure.initCause(cause);
        return failure;
    }
}
