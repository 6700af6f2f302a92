package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.TunnelConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Until up steers excluded apps (issue 18), a config that names them is refused before anything changes,
 * never brought up without them: that would tunnel or deny what the file keeps off the tunnel.
 */
class ModesNotBuiltYetTest {
    private static final String KEYS = """
            [interface]
            privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc="
            address = ["10.8.0.2/32"]
            %s

            [[peer]]
            publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ="
            allowedIPs = ["0.0.0.0/0"]
            """;

    @Test
    void upRefusesExcludedAppsAsABadConfig() throws Exception {
        UpFailedException refused = assertThrows(
                UpFailedException.class,
                () -> UpStages.Target.resolving(config("others = \"deny\"\n[[interface.excludedApps]]\nname = \"t\"")));
        assertEquals(UpFailedException.Kind.BAD_CONFIG, refused.kind());
        assertTrue(refused.getMessage().contains("excludedApps are not supported by up yet"), refused.getMessage());
    }

    @Test
    void deniedAndBypassedFullTunnelsAreBroughtUp() throws Exception {
        for (String others : java.util.List.of("deny", "bypass")) {
            TunnelConfig config = config("others = \"" + others + "\"");
            assertEquals(config, UpStages.Target.resolving(config).config());
        }
    }

    private static TunnelConfig config(String extra) throws Exception {
        return TunnelConfig.parse(KEYS.formatted(extra), Path.of("vpn.toml")).config();
    }
}
