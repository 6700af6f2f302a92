package dev.wgpr.common.fuzz;

/** One fuzz target: checks its parser's contract on one input and throws when the contract is broken. */
@FunctionalInterface
public interface FuzzTarget {
    void check(byte[] input) throws Exception;
}
