package dev.wgpr.testing.lab;

/** One interface of one namespace, e.g. the client's end of a veth pair. */
public record Port(Namespace namespace, String name) {
    /** Adds addresses in CIDR form (IPv6 without duplicate address detection); returns this port. */
    public Port address(String... cidrs) {
        namespace.address(name, cidrs);
        return this;
    }

    /** Makes this interface a port of {@code bridge} (in the same namespace). */
    public Port attachTo(Port bridge) {
        if (!bridge.namespace().equals(namespace)) {
            throw new IllegalArgumentException(bridge + " is not in " + namespace);
        }
        namespace.ip("link", "set", "dev", name, "master", bridge.name());
        return this;
    }

    @Override
    public String toString() {
        return namespace.name() + ":" + name;
    }
}
