package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.TunnelConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Until up steers traffic by the modes (issue 18), a config that asks for them is refused before anything
 * changes, never brought up as deny: that would take from non-apps and excluded apps what the file gives them.
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
    void upRefusesBypassAsABadConfigInsteadOfDenying() throws Exception {
        UpFailedException refused =
                assertThrows(UpFailedException.class, () -> UpStages.Target.resolving(config("others = \"bypass\"")));
        assertEquals(UpFailedException.Kind.BAD_CONFIG, refused.kind());
        assertTrue(
                refused.getMessage().contains("others = \"bypass\" is not supported by up yet"), refused.getMessage());
    }

    @Test
    void upRefusesExcludedAppsAsABadConfig() throws Exception {
        UpFailedException refused = assertThrows(
                UpFailedException.class,
                () -> UpStages.Target.resolving(config("others = \"deny\"\n[[interface.excludedApps]]\nname = \"t\"")));
        assertEquals(UpFailedException.Kind.BAD_CONFIG, refused.kind());
        assertTrue(refused.getMessage().contains("excludedApps are not supported by up yet"), refused.getMessage());
    }

    @Test
    void anExplicitDenyFullTunnelIsStillBroughtUp() throws Exception {
        TunnelConfig config = config("others = \"deny\"");
        assertEquals(config, UpStages.Target.resolving(config).config());
    }

    private static TunnelConfig config(String extra) throws Exception {
        return TunnelConfig.parse(KEYS.formatted(extra), Path.of("vpn.toml")).config();
    }
}
