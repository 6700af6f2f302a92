package dev.wgpr.common.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The bounded random part of a fuzz target's regression run: the target's seed corpus (the Jazzer
 * inputs directory {@code <TestClass>Inputs/<method>/} on the test classpath) and a fixed number of
 * deterministic mutations of it: bit flips, interesting bytes, insertions, deletions, truncations,
 * repeats, splices and dictionary tokens. Fast and reproducible; the coverage-guided search is
 * Jazzer's, with {@code JAZZER_FUZZ=1}.
 */
public final class MutatedSeeds {
    private static final byte[] INTERESTING = {0, 1, 2, 3, 4, 0x7f, (byte) 0x80, (byte) 0xff, '\n', '=', '/', ' '};

    private MutatedSeeds() {}

    /** The seeds of {@code testClass}'s fuzz test {@code method}; fails when there are none. */
    public static List<byte[]> seeds(Class<?> testClass, String method) {
        String directory = testClass.getSimpleName() + "Inputs/" + method;
        URL url = testClass.getResource(directory);
        if (url == null) {
            throw new AssertionError("no seed corpus " + directory + " next to " + testClass.getName());
        }
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            List<byte[]> seeds = new ArrayList<>();
            for (Path file : files.sorted().toList()) {
                seeds.add(Files.readAllBytes(file));
            }
            if (seeds.isEmpty()) {
                throw new AssertionError("empty seed corpus " + directory);
            }
            return seeds;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs {@code target} over every seed and then over {@code count} mutations of them (fixed random
     * seed), failing with the offending input in hex, to be saved as a new seed.
     *
     * @param dictionary tokens worth inserting (keywords of the format); may be empty
     */
    public static void check(Class<?> testClass, String method, int count, List<String> dictionary, FuzzTarget target) {
        List<byte[]> seeds = seeds(testClass, method);
        for (byte[] seed : seeds) {
            run(target, seed, "seed");
        }
        List<byte[]> tokens = dictionary.stream()
                .map(token -> token.getBytes(StandardCharsets.ISO_8859_1))
                .toList();
        Random random = new Random(0x5eed_f022L ^ method.hashCode());
        for (int i = 0; i < count; i++) {
            byte[] input = seeds.get(random.nextInt(seeds.size()));
            int rounds = 1 + random.nextInt(4);
            for (int r = 0; r < rounds; r++) {
                input = mutate(input, seeds, tokens, random);
            }
            run(target, input, "mutation " + i);
        }
    }

    private static void run(FuzzTarget target, byte[] input, String which) {
        try {
            target.check(input);
        } catch (Throwable failure) {
            throw new AssertionError(
                    which + " broke the contract; save this input as a seed to keep it as a regression case:\n"
                            + HexFormat.of().formatHex(input),
                    failure);
        }
    }

    static byte[] mutate(byte[] input, List<byte[]> seeds, List<byte[]> tokens, Random random) {
        int length = input.length;
        switch (random.nextInt(9)) {
            case 0 -> { // flip a bit
                if (length > 0) {
                    byte[] out = input.clone();
                    out[random.nextInt(length)] ^= (byte) (1 << random.nextInt(8));
                    return out;
                }
            }
            case 1 -> { // an interesting byte
                if (length > 0) {
                    byte[] out = input.clone();
                    out[random.nextInt(length)] = INTERESTING[random.nextInt(INTERESTING.length)];
                    return out;
                }
            }
            case 2 -> { // random bytes in place
                if (length > 0) {
                    byte[] out = input.clone();
                    int at = random.nextInt(length);
                    int n = Math.min(length - at, 1 + random.nextInt(8));
                    for (int k = 0; k < n; k++) {
                        out[at + k] = (byte) random.nextInt();
                    }
                    return out;
                }
            }
            case 3 -> { // delete a run
                if (length > 0) {
                    int at = random.nextInt(length);
                    int n = Math.min(length - at, 1 + random.nextInt(16));
                    return concat(slice(input, 0, at), slice(input, at + n, length));
                }
            }
            case 4 -> { // truncate
                return slice(input, 0, random.nextInt(length + 1));
            }
            case 5 -> { // repeat a chunk
                if (length > 0) {
                    int at = random.nextInt(length);
                    int n = Math.min(length - at, 1 + random.nextInt(64));
                    byte[] chunk = slice(input, at, at + n);
                    return concat(slice(input, 0, at + n), chunk, slice(input, at + n, length));
                }
            }
            case 6 -> { // splice with another seed
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                int cut = random.nextInt(length + 1);
                int from = random.nextInt(other.length + 1);
                return concat(slice(input, 0, cut), slice(other, from, other.length));
            }
            case 7 -> { // a dictionary token
                if (!tokens.isEmpty()) {
                    int at = random.nextInt(length + 1);
                    byte[] token = tokens.get(random.nextInt(tokens.size()));
                    return concat(slice(input, 0, at), token, slice(input, at, length));
                }
            }
            default -> { // random bytes inserted
                int at = random.nextInt(length + 1);
                byte[] noise = new byte[1 + random.nextInt(8)];
                random.nextBytes(noise);
                return concat(slice(input, 0, at), noise, slice(input, at, length));
            }
        }
        byte[] noise = new byte[random.nextInt(64)];
        random.nextBytes(noise);
        return noise;
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        byte[] out = new byte[to - from];
        System.arraycopy(bytes, from, out, 0, out.length);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
