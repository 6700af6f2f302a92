package dev.wgpr.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A key file that is a device reports a size of 0 however much it yields: the parser must still read no
 * more than a key file can hold, and report it as a bad key, not run out of memory.
 */
class KeyFileOnADeviceTest {
    @Test
    void anEndlessKeyFileIsRefusedAsTooLongWithoutReadingItAll() {
        String toml = """
                [interface]
                privateKeyFile = "/dev/zero"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """;
        List<ConfigProblem> problems = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThrows(BadConfigException.class, () -> ConfigTesting.parse(toml))
                        .problems());
        assertEquals(
                List.of(Reason.BAD_KEY),
                problems.stream().map(ConfigProblem::reason).toList());
    }
}
