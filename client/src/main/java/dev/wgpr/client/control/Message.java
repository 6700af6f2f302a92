package dev.wgpr.client.control;

import dev.wgpr.common.linux.OwnedFd;
import java.util.List;

/**
 * One line of the control protocol and the descriptors that came with it (only a {@code run} request
 * carries any: the caller's stdin, stdout and stderr). The receiver owns the descriptors.
 */
public record Message(String line, List<OwnedFd> fds) {
    public Message {
        fds = List.copyOf(fds);
    }
}
