package dev.wgpr.tunnel.crypto;

import static dev.wgpr.tunnel.Hex.bytes;
import static dev.wgpr.tunnel.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Known answers from wireguard-go, device/kdf_test.go (TestKDF): key, input, then τ1, τ2, τ3. */
class KdfTest {
    @ParameterizedTest
    @CsvSource({
        "746573742d6b6579, 746573742d696e707574,"
                + " 6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633,"
                + " df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a,"
                + " fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24",
        "776972656775617264, 776972656775617264,"
                + " 491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8,"
                + " 1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f,"
                + " 31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160",
        "'', '',"
                + " 8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0,"
                + " 58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e,"
                + " 0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e",
    })
    void kdfOutputsMatchWireguardGo(String key, String input, String t1, String t2, String t3) {
        byte[] k = bytes(key);
        byte[] in = bytes(input);

        byte[][] three = Kdf.kdf3(k, in);
        assertEquals(t1, hex(three[0]));
        assertEquals(t2, hex(three[1]));
        assertEquals(t3, hex(three[2]));

        byte[][] two = Kdf.kdf2(k, in);
        assertEquals(t1, hex(two[0]));
        assertEquals(t2, hex(two[1]));

        assertEquals(t1, hex(Kdf.kdf1(k, in)));
        assertEquals(t1, hex(Kdf.kdf1(HmacKey.of(k), in)));
    }
}
