package dev.wgpr.routes.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.tunnel.device.TunDevice;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * libc's open and ioctl(TUNSETIFF) on the real {@code /dev/net/tun}, seen through the libmnl link
 * dump: the interface exists while the descriptor is open and vanishes when it is closed.
 */
@RequiresRoot
class TunDeviceLifecycleTest {
    @Test
    void aTunInterfaceLivesExactlyAsLongAsItsDescriptor() throws Exception {
        String name =
                "wgprt" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        try (RtNetlink rtnl = RtNetlink.open()) {
            assertFalse(rtnl.link(name).isPresent(), name + " exists before the test");
            OwnedFd tun = new OwnedFd(Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC), "/dev/net/tun");
            try {
                String actual = TunDevice.attach(tun.fd(), name);
                assertEquals(name, actual);
                Optional<Link> link = rtnl.link(name);
                assertTrue(link.isPresent(), name + " after TUNSETIFF");
                assertEquals(Link.ARPHRD_NONE, link.get().type(), "a TUN (layer 3) device");
                assertTrue(rtnl.links().contains(link.get()), "the dump lists it too");
            } finally {
                tun.close();
            }
            assertFalse(rtnl.link(name).isPresent(), name + " after close");
            assertTrue(rtnl.links().stream().noneMatch(l -> l.name().equals(name)));
        }
    }

    @Test
    void aTunNameTooLongForTheKernelIsRefusedBeforeTheIoctl() {
        Assertions.assertThrows(IllegalArgumentException.class, () -> TunDevice.attach(-1, "wgprt-much-too-long"));
    }
}
