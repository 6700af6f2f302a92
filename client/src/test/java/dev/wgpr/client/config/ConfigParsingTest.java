package dev.wgpr.client.config;

import static dev.wgpr.client.config.ConfigTesting.parse;
import static dev.wgpr.client.config.ConfigTesting.withKeys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.routes.RouteMode;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigParsingTest {
    private static final String FULL = """
            [interface]
            privateKey = "@OUR_PRIVATE_KEY@"
            address = ["10.8.0.2/24", "fd10:8::2/64"]
            listenPort = 51820
            mtu = 1420
            dns = ["10.20.0.53", "fd10:20::53"]
            dnsDomains = ["Corp.Example.", "20.10.in-addr.arpa", "corp.example"]
            dnsAccess = "everyone"
            dnsResolver = "file"

            [[peer]]
            name = "corp-gw"
            publicKey = "@PEER_KEY@"
            presharedKey = "@OTHER_PEER_KEY@"
            endpoint = "vpn.example.com:51820"
            allowedIPs = ["10.20.0.0/16", "fd10:20::/32"]
            persistentKeepalive = 25

            [[peer.allowedApps]]
            name = "ssh"
            exec = "/usr/bin/ssh"
            sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
            allow = ["10.20.0.0/16 tcp/22"]

            [[peer.allowedApps]]
            name = "browser"
            """;

    @Test
    void everyValueOfAFullConfigIsRead() throws Exception {
        LoadedConfig loaded = parse(FULL);
        assertEquals(List.of(), loaded.warnings());
        TunnelConfig config = loaded.config();
        InterfaceConfig iface = config.iface();
        assertEquals("corp", iface.name(), "named after the file");
        assertEquals(Key.fromBase64(ConfigTesting.OUR_PRIVATE_KEY), iface.privateKey());
        assertEquals(Key.fromBase64(ConfigTesting.OUR_PUBLIC_KEY), iface.publicKey());
        assertEquals(Optional.empty(), iface.privateKeyFile());
        assertEquals(
                List.of(InterfaceAddress.parse("10.8.0.2/24"), InterfaceAddress.parse("fd10:8::2/64")),
                iface.addresses(),
                "host bits are allowed in interface addresses");
        assertEquals(OptionalInt.of(51820), iface.listenPort());
        assertEquals(OptionalInt.of(1420), iface.mtu());
        assertEquals(
                List.of(InetAddress.ofLiteral("10.20.0.53"), InetAddress.ofLiteral("fd10:20::53")),
                iface.dns().servers());
        assertEquals(
                List.of("corp.example", "20.10.in-addr.arpa"),
                iface.dns().domains(),
                "lower case, without the root's dot, once");
        assertEquals(DnsConfig.Access.EVERYONE, iface.dns().access());
        assertEquals(ResolverSetting.FILE, iface.dns().resolver());
        assertEquals(RouteModeSetting.AUTO, iface.routeMode());
        assertEquals(BackendSetting.AUTO, iface.backend(), "auto unless the config says otherwise");

        PeerConfig peer = config.peers().getFirst();
        assertEquals("corp-gw", peer.name());
        assertEquals(Key.fromBase64(ConfigTesting.PEER_KEY), peer.publicKey());
        assertEquals(Optional.of(Key.fromBase64(ConfigTesting.OTHER_PEER_KEY)), peer.presharedKey());
        assertEquals(Optional.of(new Endpoint("vpn.example.com", 51820)), peer.endpoint());
        assertEquals(List.of(IpPrefix.parse("10.20.0.0/16"), IpPrefix.parse("fd10:20::/32")), peer.allowedIPs());
        assertEquals(OptionalInt.of(25), peer.persistentKeepalive());

        AppConfig ssh = peer.allowedApps().get(0);
        assertEquals("ssh", ssh.name());
        assertEquals(Optional.of(Path.of("/usr/bin/ssh")), ssh.exec());
        assertEquals(
                Optional.of("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                ssh.sha256(),
                "kept in lower case");
        assertEquals(List.of(Grant.parse("10.20.0.0/16 tcp/22")), ssh.grants());

        AppConfig browser = peer.allowedApps().get(1);
        assertEquals(
                List.of(Grant.parse("10.20.0.0/16"), Grant.parse("fd10:20::/32")),
                browser.grants(),
                "without allow: all of allowedIPs, any protocol, any port");
    }

    @Test
    void optionalValuesHaveTheirDefaults() throws Exception {
        TunnelConfig config = parse("""
                        [interface]
                        privateKey = "@OUR_PRIVATE_KEY@"
                        address = ["10.8.0.2/32"]

                        [[peer]]
                        publicKey = "@PEER_KEY@"
                        allowedIPs = ["10.20.0.0/16"]
                        """).config();
        assertEquals(OptionalInt.empty(), config.iface().listenPort());
        assertEquals(OptionalInt.empty(), config.iface().mtu());
        assertEquals(DnsConfig.NONE, config.iface().dns());
        PeerConfig peer = config.peers().getFirst();
        assertEquals("peer0", peer.name());
        assertEquals(Optional.empty(), peer.endpoint());
        assertEquals(Optional.empty(), peer.presharedKey());
        assertEquals(OptionalInt.empty(), peer.persistentKeepalive());
        assertEquals(List.of(), peer.allowedApps());
    }

    @Test
    void anAppsGrantsAreBoundToItsProgramUnlessItSaysOtherwise() throws Exception {
        TunnelConfig config = parse("""
                        [interface]
                        privateKey = "@OUR_PRIVATE_KEY@"
                        address = ["10.8.0.2/32"]

                        [[peer]]
                        publicKey = "@PEER_KEY@"
                        allowedIPs = ["10.20.0.0/16"]
                        allowedApps = [
                            { name = "plain" },
                            { name = "git", allowExec = ["/usr/bin/ssh", "/usr/lib/git-core/git-remote-http"] },
                            { name = "ssh", args = "(?!-[oFJ]).*" },
                            { name = "browser", children = "any" },
                        ]
                        """).config();
        List<AppConfig> apps = config.peers().getFirst().allowedApps();
        assertEquals(AppConfig.Children.SAME_EXEC, apps.get(0).children());
        assertEquals(List.of(), apps.get(0).allowExec());
        assertEquals(Optional.empty(), apps.get(0).args());
        assertEquals(
                List.of(Path.of("/usr/bin/ssh"), Path.of("/usr/lib/git-core/git-remote-http")),
                apps.get(1).allowExec());
        assertTrue(apps.get(2).argumentsAllowed(List.of("-p", "22", "db1")));
        assertFalse(apps.get(2).argumentsAllowed(List.of("-oProxyCommand=sh", "db1")));
        assertFalse(apps.get(2).argumentsAllowed(List.of("-F", "/tmp/evil", "db1")));
        assertEquals(AppConfig.Children.ANY, apps.get(3).children());
    }

    @Test
    void inlineTablesAreTheSameDataAsArraysOfTables() throws Exception {
        TunnelConfig arrayOfTables = parse(FULL).config();
        TunnelConfig inline = parse("""
                        interface = { privateKey = "@OUR_PRIVATE_KEY@", address = ["10.8.0.2/24", "fd10:8::2/64"], \
                        listenPort = 51820, mtu = 1420, dns = ["10.20.0.53", "fd10:20::53"], \
                        dnsDomains = ["Corp.Example.", "20.10.in-addr.arpa", "corp.example"], dnsAccess = "everyone", \
                        dnsResolver = "file" }
                        peer = [
                          { name = "corp-gw", publicKey = "@PEER_KEY@", presharedKey = "@OTHER_PEER_KEY@", \
                        endpoint = "vpn.example.com:51820", allowedIPs = ["10.20.0.0/16", "fd10:20::/32"], \
                        persistentKeepalive = 25, allowedApps = [
                            { name = "ssh", exec = "/usr/bin/ssh", \
                        sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", \
                        allow = ["10.20.0.0/16 tcp/22"] },
                            { name = "browser" },
                          ] },
                        ]
                        """).config();
        assertEquals(arrayOfTables, inline);
    }

    @Test
    void backendIsReadAsWritten() throws Exception {
        for (BackendSetting backend : BackendSetting.values()) {
            TunnelConfig config = parse("""
                            [interface]
                            privateKey = "@OUR_PRIVATE_KEY@"
                            address = ["10.8.0.2/32"]
                            backend = "%s"

                            [[peer]]
                            publicKey = "@PEER_KEY@"
                            allowedIPs = ["10.20.0.0/16"]
                            """.formatted(backend.text())).config();
            assertEquals(backend, config.iface().backend());
        }
    }

    @Test
    void autoRouteModeIsPerPrefixWithoutADefaultRoute() throws Exception {
        TunnelConfig config = parse(FULL).config();
        assertEquals(RouteMode.PER_PREFIX, config.routeMode());
        PeerConfig peer = config.peers().getFirst();
        assertEquals(peer.allowedIPs(), config.routePlan().tunnelPrefixes());
    }

    @Test
    void autoRouteModeIsDiSemiDefaultWithADefaultRouteAndSplitsOnlyIt() throws Exception {
        TunnelConfig config = parse("""
                        [interface]
                        privateKey = "@OUR_PRIVATE_KEY@"
                        address = ["10.8.0.2/32", "fd10:8::2/128"]

                        [[peer]]
                        publicKey = "@PEER_KEY@"
                        allowedIPs = ["0.0.0.0/0", "fd10:20::/32"]
                        """).config();
        assertEquals(RouteMode.DI_SEMI_DEFAULT, config.routeMode());
        assertEquals(
                List.of(IpPrefix.parse("0.0.0.0/1"), IpPrefix.parse("128.0.0.0/1"), IpPrefix.parse("fd10:20::/32")),
                config.routePlan().tunnelPrefixes());
    }

    @Test
    void anExplicitRouteModeWinsOverAuto() {
        assertEquals(RouteMode.PER_PREFIX, RouteModeSetting.PER_PREFIX.resolve(List.of(IpPrefix.parse("::/0"))));
        assertEquals(RouteMode.DI_SEMI_DEFAULT, RouteModeSetting.AUTO.resolve(List.of(IpPrefix.parse("::/0"))));
    }

    @Test
    void internalPrefixesAreEveryPeersAllowedIpsSorted() throws Exception {
        TunnelConfig config = parse("""
                        [interface]
                        privateKey = "@OUR_PRIVATE_KEY@"
                        address = ["10.8.0.2/32"]

                        [[peer]]
                        publicKey = "@PEER_KEY@"
                        allowedIPs = ["fd10:20::/32", "10.40.0.0/16"]

                        [[peer]]
                        publicKey = "@OTHER_PEER_KEY@"
                        allowedIPs = ["10.20.0.0/16"]
                        """).config();
        assertEquals(
                List.of(IpPrefix.parse("10.20.0.0/16"), IpPrefix.parse("10.40.0.0/16"), IpPrefix.parse("fd10:20::/32")),
                config.internalPrefixes());
    }

    @Test
    void keyFileIsReadRelativeToTheConfigWithItsTrailingNewline(@TempDir Path directory) throws Exception {
        Path keyFile = writeKeyFile(directory.resolve("corp.key"), "rw-------");
        LoadedConfig loaded = load(directory, "corp.key");
        assertEquals(
                Key.fromBase64(ConfigTesting.OUR_PRIVATE_KEY),
                loaded.config().iface().privateKey());
        assertEquals(Optional.of(keyFile), loaded.config().iface().privateKeyFile());
        assertEquals(List.of(), loaded.warnings(), "0600 is how a key file should be");
    }

    @Test
    void worldReadableKeyFileIsWarnedAboutLikeWgQuickDoes(@TempDir Path directory) throws Exception {
        Path keyFile = writeKeyFile(directory.resolve("corp.key"), "rw-r--r--");
        List<ConfigProblem> warnings = load(directory, keyFile.toString()).warnings();
        assertEquals(1, warnings.size(), warnings::toString);
        ConfigProblem warning = warnings.getFirst();
        ConfigTesting.assertProblem(warning, Reason.KEY_FILE_ACCESSIBLE, 2, 18, "interface.privateKeyFile");
        assertEquals("`" + keyFile + "' is world accessible", warning.message());
        assertTrue(warning.toString().contains(": warning: interface.privateKeyFile: `"), warning.toString());
    }

    @Test
    void groupReadablePresharedKeyFileIsWarnedAbout(@TempDir Path directory) throws Exception {
        writeKeyFile(directory.resolve("corp.key"), "rw-------");
        Path pskFile = writeKeyFile(directory.resolve("corp.psk"), "rw-r-----");
        Path config = Files.writeString(directory.resolve("corp.toml"), withKeys("""
                [interface]
                privateKeyFile = "corp.key"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                presharedKeyFile = "corp.psk"
                allowedIPs = ["10.20.0.0/16"]
                """));
        List<ConfigProblem> warnings = TunnelConfig.load(config).warnings();
        assertEquals(1, warnings.size(), warnings::toString);
        assertEquals("peer[0].presharedKeyFile", warnings.getFirst().field());
        assertEquals(
                "`" + pskFile + "' is group accessible", warnings.getFirst().message());
    }

    @Test
    void aPrivateKeyInlineInAConfigOthersMayReadIsWarnedAbout(@TempDir Path directory) throws Exception {
        Path config = configWithInlineKey(directory, "rw-r--r--");
        List<ConfigProblem> warnings = TunnelConfig.load(config).warnings();
        assertEquals(1, warnings.size(), warnings::toString);
        ConfigTesting.assertProblem(warnings.getFirst(), Reason.INLINE_KEY_ACCESSIBLE, 2, 14, "interface.privateKey");
        assertEquals(
                "privateKey is written here, and `" + config + "' is world accessible: chmod 600 " + config
                        + ", or keep the key in privateKeyFile",
                warnings.getFirst().message());
    }

    @Test
    void aPrivateKeyInlineInAConfigOnlyItsOwnerMayReadIsFine(@TempDir Path directory) throws Exception {
        assertEquals(
                List.of(),
                TunnelConfig.load(configWithInlineKey(directory, "rw-------")).warnings());
    }

    @Test
    void anExecThatIsNoFileOnThisMachineIsWarnedAboutAndTheConfigIsValid(@TempDir Path directory) throws Exception {
        Path config = Files.writeString(
                directory.resolve("corp.toml"), withKeys("""
                [interface]
                privateKeyFile = "corp.key"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]

                [[peer.allowedApps]]
                name = "ssh"
                exec = "%s"
                """.formatted(directory.resolve("no-such-ssh"))));
        writeKeyFile(directory.resolve("corp.key"), "rw-------");
        LoadedConfig loaded = TunnelConfig.load(config);
        assertEquals(1, loaded.warnings().size(), loaded.warnings()::toString);
        ConfigTesting.assertProblem(
                loaded.warnings().getFirst(), Reason.EXEC_MISSING, 11, 8, "peer[0].allowedApps[0].exec");
        assertEquals(
                Optional.of(directory.resolve("no-such-ssh")),
                loaded.config().peers().getFirst().allowedApps().getFirst().exec());
    }

    private static Path configWithInlineKey(Path directory, String permissions) throws IOException {
        Path config = Files.writeString(directory.resolve("corp.toml"), withKeys("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString(permissions));
        return config;
    }

    private static Path writeKeyFile(Path file, String permissions) throws IOException {
        Files.writeString(file, ConfigTesting.OUR_PRIVATE_KEY + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static LoadedConfig load(Path directory, String keyFile) throws Exception {
        Path config = Files.writeString(directory.resolve("corp.toml"), withKeys("""
                [interface]
                privateKeyFile = "%s"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """.formatted(keyFile)));
        return TunnelConfig.load(config);
    }
}
