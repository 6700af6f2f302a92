package dev.wgpr.client.trace;

/**
 * Where an attempt goes and what wg-pr makes of it.
 *
 * @param route {@code tunnel NAME}, {@code underlay}, {@code local} (loopback, a unix socket) or {@code incoming}
 * @param allowed whether wg-pr's hooks let it through (the kernel decides; this is what they would say)
 * @param reason why, in words
 * @param leak a process that is no app tried an internal prefix: what the trace is there to find
 */
public record Verdict(String route, boolean allowed, String reason, boolean leak) {}
