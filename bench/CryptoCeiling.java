import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * What ChaCha20-Poly1305 alone does on one core: the ceiling of a tunnel with one sealing and one opening
 * core (bench/tunnel runs it beside the tunnel's figures; plain JDK, no class path needed).
 *
 * <pre>
 *   CryptoCeiling SECONDS SIZE...   per SIZE (plaintext bytes of one message): a line
 *                                   "SIZE seal-messages/s open-messages/s", per second of this thread's CPU
 * </pre>
 *
 * Each message is what any JDK user of the cipher must do per packet, nothing more: one {@code init} with
 * the message's nonce (WireGuard's: zeros, then a counter) and one {@code doFinal} in place on a heap array.
 * The rate is per second of CPU time of the measuring thread, not of wall time, so other work on a shared
 * machine does not lower it (only its effect on caches can); and it is the best of {@link #SLICES} slices
 * of the time given, because on a loaded machine the JIT's compiler threads may be starved through the
 * warm-up: a slice still run by the interpreter measured a tenth of the ceiling.
 */
public class CryptoCeiling {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int SLICES = 5;

    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        Cipher cipher = Cipher.getInstance("ChaCha20-Poly1305");
        SecretKeySpec key = new SecretKeySpec(new byte[32], "ChaCha20");
        // Warm-up of both operations at every size, so C2 has compiled them with the intrinsics.
        for (int i = 1; i < args.length; i++) {
            int size = Integer.parseInt(args[i]);
            seal(cipher, key, size, Math.min(seconds, 1));
            open(cipher, key, size, Math.min(seconds, 1));
        }
        for (int i = 1; i < args.length; i++) {
            int size = Integer.parseInt(args[i]);
            double seal = 0;
            double open = 0;
            for (int slice = 0; slice < SLICES; slice++) {
                seal = Math.max(seal, seal(cipher, key, size, seconds / SLICES));
                open = Math.max(open, open(cipher, key, size, seconds / SLICES));
            }
            System.out.printf("%d %.0f %.0f%n", size, seal, open);
        }
    }

    /** Messages sealed per CPU second, each under the next counter. */
    private static double seal(Cipher cipher, SecretKeySpec key, int size, double seconds) throws Exception {
        byte[] buffer = new byte[16 + size + 16];
        long counter = 0;
        long start = THREADS.getCurrentThreadCpuTime();
        long budget = (long) (seconds * 1e9);
        long elapsed;
        do {
            for (int i = 0; i < 256; i++) {
                cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce(counter++)));
                cipher.doFinal(buffer, 16, size, buffer, 16);
            }
            elapsed = THREADS.getCurrentThreadCpuTime() - start;
        } while (elapsed < budget);
        return counter / (elapsed / 1e9);
    }

    /** Messages opened (tag checked, then decrypted) per CPU second. */
    private static double open(Cipher cipher, SecretKeySpec key, int size, double seconds) throws Exception {
        byte[] sealed = new byte[16 + size + 16];
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce(-1)));
        int length = cipher.doFinal(sealed, 16, size, sealed, 16);
        byte[] buffer = new byte[sealed.length];
        long count = 0;
        long start = THREADS.getCurrentThreadCpuTime();
        long budget = (long) (seconds * 1e9);
        long elapsed;
        do {
            for (int i = 0; i < 256; i++) {
                // Into another array, so the same message opens every time; as fast as in place.
                cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce(-1)));
                cipher.doFinal(sealed, 16, length, buffer, 16);
                count++;
            }
            elapsed = THREADS.getCurrentThreadCpuTime() - start;
        } while (elapsed < budget);
        return count / (elapsed / 1e9);
    }

    private static byte[] nonce(long counter) {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        return nonce;
    }
}
