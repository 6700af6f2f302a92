package dev.wgpr.client.control;

import java.util.Arrays;

/**
 * Who is at the other end of a control connection, as the kernel recorded it when the peer called
 * {@code connect()} ({@code SO_PEERCRED}, {@code SO_PEERGROUPS}): not something the peer can claim.
 *
 * @param pid the peer's process id at connect time
 * @param uid its effective user id
 * @param gid its effective group id
 * @param groups its supplementary groups
 */
public record PeerCredentials(int pid, int uid, int gid, int[] groups) {
    public PeerCredentials {
        groups = groups.clone();
    }

    @Override
    public int[] groups() {
        return groups.clone();
    }

    public boolean isRoot() {
        return uid == 0;
    }

    /** Whether {@code group} is the peer's primary or one of its supplementary groups. */
    public boolean inGroup(int group) {
        return gid == group || Arrays.stream(groups).anyMatch(g -> g == group);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PeerCredentials that
                && pid == that.pid
                && uid == that.uid
                && gid == that.gid
                && Arrays.equals(groups, that.groups);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * pid + uid) + gid) + Arrays.hashCode(groups);
    }

    @Override
    public String toString() {
        return "pid " + pid + " uid " + uid + " gid " + gid + " groups " + Arrays.toString(groups);
    }
}
