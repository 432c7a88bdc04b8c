package io.rsmr.replica.crypto;

/** The two per-direction HMAC-SHA256 keys a handshake produced. */
public record FrameKeys(byte[] sendKey, byte[] receiveKey) {
    public FrameKeys {
        if (sendKey.length != Hmac.KEY_BYTES || receiveKey.length != Hmac.KEY_BYTES) {
            throw new IllegalArgumentException("frame keys must be " + Hmac.KEY_BYTES + " bytes");
        }
    }

    public FrameSealer sealer() {
        return new FrameSealer(sendKey);
    }

    public FrameOpener opener() {
        return new FrameOpener(receiveKey);
    }
}
