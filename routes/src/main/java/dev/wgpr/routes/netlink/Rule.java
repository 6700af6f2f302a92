package dev.wgpr.routes.netlink;

/**
 * One policy routing rule that sends packets of a firewall mark to a table ({@code ip rule add fwmark
 * MARK/MASK lookup TABLE pref PRIORITY}): the only kind wg-pr makes (enforcement/DESIGN.md, "Modes").
 *
 * @param ipv4 the family ({@code ip rule} or {@code ip -6 rule})
 * @param priority {@code FRA_PRIORITY}: lower is asked first ({@code main} is 32766)
 * @param mark {@code FRA_FWMARK}
 * @param mask {@code FRA_FWMASK}
 * @param table {@code FRA_TABLE}
 */
public record Rule(boolean ipv4, int priority, int mark, int mask, int table) {
    @Override
    public String toString() {
        return (ipv4 ? "" : "-6 ") + "pref " + Integer.toUnsignedString(priority) + " fwmark 0x"
                + Integer.toHexString(mark) + "/0x" + Integer.toHexString(mask) + " lookup "
                + Integer.toUnsignedString(table);
    }
}
