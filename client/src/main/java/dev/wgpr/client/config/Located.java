package dev.wgpr.client.config;

import org.tomlj.TomlPosition;

/** A value read from the config, with the field path and position to report problems against. */
record Located<T>(T value, String field, TomlPosition position) {}
