package dev.wgpr.client.control;

import java.util.List;
import java.util.Map;

/**
 * What {@code status} shows of the daemon's lockdown. Off, only {@code state} is set.
 *
 * @param rlimits each resource limit as {@code soft/hard}
 * @param launchHelper the process that starts apps outside the daemon's Landlock domain; null without one
 */
public record LockdownStatus(
        String state,
        Long threads,
        Boolean allThreadsAlike,
        Boolean noNewPrivs,
        Capabilities capabilities,
        Landlock landlock,
        Map<String, String> rlimits,
        Boolean dumpable,
        String launchHelper) {
    public static LockdownStatus only(String state) {
        return new LockdownStatus(state, null, null, null, null, null, null, null, null);
    }

    public LockdownStatus withLaunchHelper(String helper) {
        return new LockdownStatus(
                state, threads, allThreadsAlike, noNewPrivs, capabilities, landlock, rlimits, dumpable, helper);
    }

    /** The capability sets, by name. */
    public record Capabilities(
            List<String> effective,
            List<String> permitted,
            List<String> inheritable,
            List<String> bounding,
            List<String> ambient) {}

    /** The Landlock domain; without an ABI, only {@code state}. */
    public record Landlock(
            Long abi, String state, List<String> handledFs, String tcp, String signals, List<String> rules) {}
}
