package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

/**
 * A consumer of a {@code BPF_MAP_TYPE_RINGBUF} map through libbpf's {@code ring_buffer__*} (the
 * samples reach Java through an FFM upcall and are copied out as byte arrays). Not thread-safe: one
 * thread polls.
 */
@SuppressWarnings("restricted") // the sample callback is an FFM upcall
public final class BpfRingBuffer implements AutoCloseable {
    private static final MethodHandle ON_SAMPLE;

    static {
        try {
            ON_SAMPLE = MethodHandles.lookup()
                    .findVirtual(
                            BpfRingBuffer.class,
                            "onSample",
                            MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final Arena arena = Arena.ofShared();
    private final List<byte[]> received = new ArrayList<>();
    private MemorySegment ring;

    private BpfRingBuffer(String name) {
        this.name = name;
    }

    /** {@code ring_buffer__new} on the ring buffer map {@code mapFd} (the descriptor is not taken over). */
    public static BpfRingBuffer open(int mapFd, String name) throws BpfException {
        BpfRingBuffer buffer = new BpfRingBuffer(name);
        try {
            MemorySegment callback = Linker.nativeLinker()
                    .upcallStub(ON_SAMPLE.bindTo(buffer), Libbpf.RING_BUFFER_SAMPLE_FN, buffer.arena);
            MemorySegment state = Libbpf.allocateCallState(buffer.arena);
            Libbpf.clearLog();
            MemorySegment ring = (MemorySegment) Libbpf.ring_buffer__new$MH()
                    .invokeExact(state, mapFd, callback, MemorySegment.NULL, MemorySegment.NULL);
            if (ring.equals(MemorySegment.NULL)) {
                throw BpfException.of("ring_buffer__new " + name, Libbpf.errno(state));
            }
            buffer.ring = ring;
            return buffer;
        } catch (BpfException e) {
            buffer.arena.close();
            throw e;
        } catch (Throwable t) {
            buffer.arena.close();
            throw Libc.unexpected(t);
        }
    }

    /**
     * {@code ring_buffer__poll}: waits up to {@code timeoutMillis} for samples and returns those that
     * arrived (possibly none).
     */
    public List<byte[]> poll(int timeoutMillis) throws BpfException {
        return call(timeoutMillis);
    }

    /** {@code ring_buffer__consume}: the samples that are there now, without waiting. */
    public List<byte[]> drain() throws BpfException {
        return call(-1);
    }

    private List<byte[]> call(int timeoutMillis) throws BpfException {
        if (ring == null) {
            throw new IllegalStateException("ring buffer " + name + " is closed");
        }
        received.clear();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            int result = timeoutMillis < 0
                    ? (int) Libbpf.ring_buffer__consume$MH().invokeExact(state, ring)
                    : (int) Libbpf.ring_buffer__poll$MH().invokeExact(state, ring, timeoutMillis);
            if (result < 0 && result != -Libc.EINTR) {
                throw BpfException.of("ring_buffer__poll " + name, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        List<byte[]> samples = List.copyOf(received);
        received.clear();
        return samples;
    }

    /** The sample callback: copies the sample; never throws into native code. */
    @SuppressWarnings("unused") // called through ON_SAMPLE
    private int onSample(MemorySegment context, MemorySegment data, long size) {
        try {
            received.add(data.reinterpret(size).toArray(ValueLayout.JAVA_BYTE));
            return 0;
        } catch (Throwable t) {
            return -1;
        }
    }

    @Override
    public void close() {
        if (ring == null) {
            return;
        }
        MemorySegment closing = ring;
        ring = null;
        try {
            Libbpf.ring_buffer__free$MH().invokeExact(closing);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            arena.close();
        }
    }
}
