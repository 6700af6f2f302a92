package dev.wgpr.routes.netlink;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The WG_CMD_GET_DEVICE dump parser on arbitrary bytes, read as the messages of one receive buffer the way
 * {@code mnl_cb_run} walks it (a message whose {@code nlmsg_len} does not fit ends the walk): it returns a
 * device or throws a {@link MalformedReplyException}, nothing else, and never reads past the buffer.
 */
class WireGuardDumpFuzzTest {
    static final List<String> DICTIONARY = List.of("wgt0", "\u0000\u0000", "\u0004\u0000", "\u0008\u0000");
    private static final int NLMSGHDR = 16;

    @FuzzTest(maxDuration = "10s")
    void aDumpParsesOrIsMalformed(byte[] input) {
        List<byte[]> messages = new ArrayList<>();
        int offset = 0;
        while (input.length - offset >= NLMSGHDR) {
            int length = ByteBuffer.wrap(input, offset, 4)
                    .order(ByteOrder.nativeOrder())
                    .getInt();
            if (length < NLMSGHDR || length > input.length - offset) {
                break;
            }
            messages.add(Arrays.copyOfRange(input, offset, offset + length));
            offset += (int) Libmnl.align(length);
        }
        try {
            WireGuardDumpTest.parse(messages);
        } catch (MalformedReplyException expected) {
            // the documented refusal
        }
    }

    @Test
    void mutatedDumpsParseOrAreMalformed() {
        MutatedSeeds.check(getClass(), "aDumpParsesOrIsMalformed", 20_000, DICTIONARY, this::aDumpParsesOrIsMalformed);
    }

    /**
     * Writes the seeds, the replies of {@link WireGuardDumpTest#kernelDump}: {@code mvn -pl routes -am test
     * -Dtest=WireGuardDumpFuzzTest#writeSeeds -Dwgpr.fuzz.writeSeeds=true -Dsurefire.failIfNoSpecifiedTests=false}.
     */
    @Test
    @EnabledIfSystemProperty(named = "wgpr.fuzz.writeSeeds", matches = "true")
    void writeSeeds() throws IOException {
        Path seeds = Path.of(
                "src/test/resources/dev/wgpr/routes/netlink/WireGuardDumpFuzzTestInputs/aDumpParsesOrIsMalformed");
        Files.createDirectories(seeds);
        List<byte[]> dump = WireGuardDumpTest.kernelDump();
        Files.write(seeds.resolve("first-message"), dump.get(0));
        Files.write(seeds.resolve("continued-peer-and-second-peer"), dump.get(1));
        byte[] both = Arrays.copyOf(dump.get(0), dump.get(0).length + dump.get(1).length);
        System.arraycopy(dump.get(1), 0, both, dump.get(0).length, dump.get(1).length);
        Files.write(seeds.resolve("whole-dump"), both);
    }
}
