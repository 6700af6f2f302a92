package dev.wgpr.enforcement;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;

/** The cookie the kernel gives a network namespace, as {@code bpf_get_netns_cookie} returns it. */
public final class NetnsCookie {
    private NetnsCookie() {}

    /**
     * The cookie of the network namespace of the calling thread: {@code getsockopt(SO_NETNS_COOKIE)}
     * on a socket made here (5.14+).
     */
    public static long ofCurrentThread() throws ErrnoException {
        try (OwnedFd socket =
                new OwnedFd(Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0), "netns cookie socket")) {
            return Libc.getsockoptLong(socket.fd(), Libc.SOL_SOCKET, Libc.SO_NETNS_COOKIE, "SO_NETNS_COOKIE");
        }
    }
}
