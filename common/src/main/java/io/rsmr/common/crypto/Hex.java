package io.rsmr.common.crypto;

import java.util.HexFormat;

/** Lower-case hex, for logs and error messages. */
public final class Hex {
    private Hex() {}

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
