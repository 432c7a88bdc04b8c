package io.rsmr.common.image;

/** A manifest, signature or golden file that cannot be used; the message names the file and the fault. */
public final class ImageException extends Exception {
    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
