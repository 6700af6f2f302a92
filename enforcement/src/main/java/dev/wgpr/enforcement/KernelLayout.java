package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.PortSet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Byte layouts shared with bpf/src/main/bpf/enforce.bpf.h. Host order is little-endian (x86-64, arm64). */
final class KernelLayout {
    private KernelLayout() {}

    /** {@code struct wgpr_key}: prefixlen, app, addr[16]. */
    public static final int KEY_SIZE = 24;
    /** {@code struct wgpr_value}: flags, peer, n_tcp, n_udp, tcp[16], udp[16]. */
    public static final int VALUE_SIZE = 8 + 2 * PolicyCompiler.MAX_RANGES * 4;
    /** {@code struct wgpr_config}. */
    public static final int CONFIG_SIZE = 32;
    /** {@code WGPR_APP_SLOTS}, {@code WGPR_APP_SLOT_MASK}, {@code WGPR_APP_SLOT_SHIFT}. */
    static final int APP_SLOTS = 4096;

    static final int APP_SLOT_SHIFT = 12;
    /** {@code struct wgpr_app_slot}. */
    static final int APP_SLOT_SIZE = 16;
    /** {@code WGPR_CFG_APPS_OVERFLOW}. */
    static final int CFG_APPS_OVERFLOW = 1;
    /** {@code struct wgpr_event}. */
    public static final int EVENT_SIZE = 80;

    static final int FLAG_INTERNAL = 1;
    static final int FLAG_PORTLESS = 2;
    static final int FLAG_FORWARD = 4;
    static final int FLAG_EXEC_BOUND = 8;
    static final int FLAG_BYPASS = 16;
    static final int FLAG_AROUND_EXCLUDED = 32;
    static final int FLAG_INCOMING_ALL = 64;
    static final int FLAG_INCOMING_NONE = 128;
    /** {@code WGPR_CFG_MARK_OTHERS}. */
    static final int CFG_MARK_OTHERS = 2;

    /** {@code struct wgpr_exec_key}: app, dev, ino. */
    static final int EXEC_KEY_SIZE = 16;

    public static byte[] key(int app, IpPrefix prefix) {
        ByteBuffer key = ByteBuffer.allocate(KEY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        key.putInt(32 + (prefix.isIpv4() ? 96 + prefix.length() : prefix.length()));
        key.putInt(app);
        key.put(mapped(prefix.address().getAddress()));
        return key.array();
    }

    /** 16 bytes: IPv6 as it is, IPv4 as {@code ::ffff:a.b.c.d}. */
    static byte[] mapped(byte[] address) {
        if (address.length == 16) {
            return address;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(address, 0, mapped, 12, 4);
        return mapped;
    }

    public static byte[] value(TrieEntry entry) {
        ByteBuffer value = ByteBuffer.allocate(VALUE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        int flags = (entry.internal() ? FLAG_INTERNAL : 0)
                | (entry.portless() ? FLAG_PORTLESS : 0)
                | (entry.forward() ? FLAG_FORWARD : 0)
                | (entry.execBound() ? FLAG_EXEC_BOUND : 0)
                | (entry.bypass() ? FLAG_BYPASS : 0)
                | (entry.aroundExcluded() ? FLAG_AROUND_EXCLUDED : 0)
                | switch (entry.incoming()) {
                    case ALL -> FLAG_INCOMING_ALL;
                    case NONE -> FLAG_INCOMING_NONE;
                    case APPS -> 0;
                };
        value.putInt(flags);
        value.putShort((short) entry.peer());
        value.put((byte) entry.tcp().size());
        value.put((byte) entry.udp().size());
        putRanges(value, entry.tcp());
        putRanges(value, entry.udp());
        return value.array();
    }

    private static void putRanges(ByteBuffer value, List<PortSet.Range> ranges) {
        if (ranges.size() > PolicyCompiler.MAX_RANGES) {
            throw new IllegalArgumentException("more than " + PolicyCompiler.MAX_RANGES + " ranges");
        }
        for (int i = 0; i < PolicyCompiler.MAX_RANGES; i++) {
            if (i < ranges.size()) {
                value.putShort((short) ranges.get(i).first());
                value.putShort((short) ranges.get(i).last());
            } else {
                value.putInt(0);
            }
        }
    }

    static byte[] config(long netnsCookie, long instanceCgroup, int instanceLevel) {
        return config(netnsCookie, instanceCgroup, instanceLevel, 0);
    }

    static byte[] config(long netnsCookie, long instanceCgroup, int instanceLevel, int inboundTag) {
        return config(netnsCookie, instanceCgroup, instanceLevel, inboundTag, 0);
    }

    static byte[] config(long netnsCookie, long instanceCgroup, int instanceLevel, int inboundTag, int flags) {
        return config(netnsCookie, instanceCgroup, instanceLevel, inboundTag, flags, 0);
    }

    static byte[] config(
            long netnsCookie, long instanceCgroup, int instanceLevel, int inboundTag, int flags, int bypassMark) {
        return ByteBuffer.allocate(CONFIG_SIZE)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(netnsCookie)
                .putLong(instanceCgroup)
                .putInt(instanceLevel)
                .putInt(inboundTag)
                .putInt(flags)
                .putInt(bypassMark)
                .array();
    }

    static byte[] execKey(AppId app, ExecutableId file) {
        return ByteBuffer.allocate(EXEC_KEY_SIZE)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(app.value())
                .putInt(file.dev())
                .putLong(file.ino())
                .array();
    }

    /** The two slots cgroup {@code id} may live in ({@code app_of} in enforce.bpf.c). */
    static int[] appSlots(long id) {
        return new int[] {(int) (id & (APP_SLOTS - 1)), (int) ((id >>> APP_SLOT_SHIFT) & (APP_SLOTS - 1))};
    }

    static byte[] appSlot(long cgroupId, int app) {
        return ByteBuffer.allocate(APP_SLOT_SIZE)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(cgroupId)
                .putInt(app)
                .putInt(0)
                .array();
    }

    /** {@code WGPR_TUNNEL_SLOTS}: how many tunnel devices one instance guards. */
    static final int TUNNEL_SLOTS = 64;

    /**
     * The tc_index tag of an instance's tunnel packets ({@code struct wgpr_config.inbound_tag}): 16
     * bits (tc keeps {@code TC_H_MIN} of the class id), never 0, from the instance name. Two instances
     * in one kernel with the same tag would judge each other's inbound packets too (denying, never
     * allowing, what the other's apps get back): the test lab's instance names are unique per run.
     */
    static int inboundTag(String instance) {
        int tag = instance.hashCode() & 0xffff;
        return tag == 0 ? 1 : tag;
    }

    /**
     * The socket mark of an instance's non-apps that go around a bypass tunnel ({@code struct
     * wgpr_config.bypass_mark}): 0x7767 ("wg") in the high half so that it is recognisable in {@code ip
     * rule}, the instance's {@link #inboundTag} in the low half so that two instances never share one.
     */
    static int bypassMark(String instance) {
        return 0x7767_0000 | inboundTag(instance);
    }

    static int readU32(byte[] value) {
        return ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    static byte[] u32(int value) {
        return ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(value)
                .array();
    }

    static byte[] u64(long value) {
        return ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(value)
                .array();
    }

    /** A task's {@code comm} as BPF copies it: at most 16 bytes at {@code offset}, NUL-terminated when shorter. */
    static String comm(byte[] sample, int offset) {
        int end = offset;
        while (end < offset + 16 && sample[end] != 0) {
            end++;
        }
        return new String(sample, offset, end - offset, StandardCharsets.UTF_8);
    }
}
