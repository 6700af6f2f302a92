package dev.wgpr.enforcement.bpf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** BPF objects of a test's own C source, compiled by the bpf module's script as the shipped ones are. */
public final class CompiledObjects {
    private CompiledObjects() {}

    /** A connect4 program that walks hundreds of instructions, then uses a hash map value without its NULL check. */
    public static final String REFUSED_AFTER_A_LONG_WALK = """
            struct {
            	__uint(type, BPF_MAP_TYPE_HASH);
            	__uint(max_entries, 1);
            	__type(key, __u32);
            	__type(value, __u64);
            } refused_values SEC(".maps");
            SEC("cgroup/connect4")
            int refused_connect4(struct bpf_sock_addr *ctx)
            {
            	__u64 sum = 0;
            #pragma unroll
            	for (int i = 0; i < 200; i++)
            		sum += bpf_ktime_get_ns();
            	__u32 key = 0;
            	__u64 *value = bpf_map_lookup_elem(&refused_values, &key);
            	*value = sum;
            	return 1;
            }
            """;

    /** The ELF object of {@code body} (C, after the usual includes, before the license) compiled in {@code dir}. */
    public static byte[] compile(Path dir, String name, String body) throws IOException, InterruptedException {
        Path source = dir.resolve("src"), out = dir.resolve("out");
        Files.createDirectories(source);
        Files.writeString(
                source.resolve(name + ".bpf.c"),
                "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n" + body
                        + "char LICENSE[] SEC(\"license\") = \"GPL\";\n");
        // Tests run in their module's directory; the script is the bpf module's.
        Path script = Path.of("").toAbsolutePath().resolveSibling("bpf").resolve("compile-bpf.sh");
        Process clang = new ProcessBuilder("bash", script.toString(), source.toString(), out.toString())
                .inheritIO()
                .start();
        if (clang.waitFor() != 0) {
            throw new IOException("compile-bpf.sh " + name + " exited " + clang.exitValue());
        }
        return Files.readAllBytes(out.resolve(name + ".bpf.o"));
    }
}
