package dev.wgpr.client.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a config's key files ({@code privateKeyFile}, {@code presharedKeyFile}) are read from: the file
 * system, or the contents a caller read and sent with the config (the daemon then reads no file a caller
 * named).
 */
@FunctionalInterface
public interface KeyFiles {
    /** The files themselves. */
    KeyFiles ON_DISK = Files::newInputStream;

    InputStream open(Path file) throws IOException;

    /** The contents in {@code sent}, by the path the config resolves; any other file does not exist. */
    static KeyFiles sent(Map<Path, String> sent) {
        Map<Path, String> copy = Map.copyOf(sent);
        return file -> {
            String content = copy.get(file);
            if (content == null) {
                throw new NoSuchFileException(file.toString(), null, "not sent with the config");
            }
            return new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII));
        };
    }
}
