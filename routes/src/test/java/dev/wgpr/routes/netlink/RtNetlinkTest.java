package dev.wgpr.routes.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** Lists links through libmnl with no privileges, and checks the answer against iproute2. */
class RtNetlinkTest {
    @Test
    void linkDumpFindsLoopbackAtIndexOneWithTheLoopbackFlag() throws Exception {
        try (RtNetlink rtnl = RtNetlink.open()) {
            List<Link> links = rtnl.links();
            Link lo = links.stream()
                    .filter(l -> l.name().equals("lo"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no lo in " + links));
            assertEquals(1, lo.index());
            assertTrue(lo.isLoopback(), "IFF_LOOPBACK in " + Integer.toHexString(lo.flags()));
            assertEquals(Link.ARPHRD_LOOPBACK, lo.type());
            assertTrue(lo.mtu() > 0, "lo has an MTU");
        }
    }

    @Test
    void linkDumpNamesTheSameInterfacesAsIpLink() throws Exception {
        Set<String> ours;
        try (RtNetlink rtnl = RtNetlink.open()) {
            ours = rtnl.links().stream().map(Link::name).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(ipLinkNames(), ours);
    }

    @Test
    void linkByNameAnswersWithTheSameIndexAsTheDump() throws Exception {
        try (RtNetlink rtnl = RtNetlink.open()) {
            for (Link link : rtnl.links()) {
                assertEquals(Optional.of(link.index()), rtnl.link(link.name()).map(Link::index), link.name());
            }
        }
    }

    @Test
    void linkByNameOfAMissingInterfaceIsEmpty() throws Exception {
        try (RtNetlink rtnl = RtNetlink.open()) {
            assertFalse(rtnl.link("wgprmissing0").isPresent());
        }
    }

    @Test
    void aClosedSocketRefusesFurtherRequests() throws Exception {
        RtNetlink rtnl = RtNetlink.open();
        rtnl.close();
        rtnl.close(); // idempotent
        Assertions.assertThrows(IllegalStateException.class, rtnl::links);
    }

    @Test
    void libmnlVersionNamesTheLoadedFileAndItsPackage() throws Exception {
        String version = RtNetlink.libmnlVersion(); // loads libmnl.so.0 if nothing has yet
        assertTrue(version.startsWith("libmnl.so.0"), version);
        String dpkg = run("dpkg-query", "-W", "-f=${Version}", "libmnl0");
        assertTrue(version.contains("libmnl0 " + dpkg), version + " vs dpkg " + dpkg);
    }

    private static Set<String> ipLinkNames() throws IOException, InterruptedException {
        Set<String> names = new TreeSet<>();
        for (String line : run("ip", "-o", "link", "show").split("\n")) {
            // "4: eth0: <...>" or "5: veth0@if4: <...>"
            String name = line.split(": ", 3)[1];
            int at = name.indexOf('@');
            names.add(at < 0 ? name : name.substring(0, at));
        }
        return names;
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
        return out.strip();
    }
}
