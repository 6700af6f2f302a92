package dev.wgpr.enforcement;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One attempt the {@link BorrowGuard} refused: a process outside an app's cgroup tried to take over a
 * process inside it (ptrace attach, {@code /proc/PID/mem}, {@code process_vm_readv/writev}, {@code
 * pidfd_getfd}).
 *
 * @param monotonicNs when, on {@code CLOCK_MONOTONIC}
 * @param cgroupId the cgroup of the process that tried
 * @param pid the process that tried (its thread group id)
 * @param targetCgroupId the app cgroup of the process it tried to take over
 * @param targetPid the process it tried to take over
 * @param mode the {@code PTRACE_MODE_*} flags of the access
 */
public record BorrowRefusal(
        long monotonicNs,
        long cgroupId,
        int pid,
        int tid,
        int uid,
        int gid,
        String comm,
        long targetCgroupId,
        int targetPid,
        String targetComm,
        int mode) {
    /** {@code struct borrow_event} of borrow.bpf.c. */
    static final int SIZE = 72;

    static BorrowRefusal parse(byte[] sample) {
        if (sample.length < SIZE) {
            throw new IllegalArgumentException("borrow event of " + sample.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(sample).order(ByteOrder.LITTLE_ENDIAN);
        return new BorrowRefusal(
                b.getLong(0),
                b.getLong(8),
                b.getInt(24),
                b.getInt(28),
                b.getInt(32),
                b.getInt(36),
                KernelLayout.comm(sample, 48),
                b.getLong(16),
                b.getInt(40),
                KernelLayout.comm(sample, 64),
                b.getInt(44));
    }
}
