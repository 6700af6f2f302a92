package dev.wgpr.client.importer;

import java.util.Optional;

/** One {@code [[peer.allowedApps]]} entry: an app name and, when known, its Linux executable. */
record ImportedApp(String name, Optional<String> exec) {}
