package dev.wgpr.client.importer;

/**
 * One {@code KEY = VALUE} line of a wg-quick file, comment removed and both sides trimmed.
 *
 * @param key as written; wg and wg-quick match keys ignoring case
 */
record WgQuickEntry(int line, String key, String value) {}
