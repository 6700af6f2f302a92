package dev.wgpr.testing.lab;

/** A veth pair: a cable between two namespaces, both ends up. */
public record Veth(Port a, Port b) {
    /** The end of this cable inside {@code ns}. */
    public Port end(Namespace ns) {
        if (a.namespace().equals(ns)) {
            return a;
        }
        if (b.namespace().equals(ns)) {
            return b;
        }
        throw new IllegalArgumentException(this + " has no end in " + ns);
    }

    @Override
    public String toString() {
        return a + " <-> " + b;
    }
}
