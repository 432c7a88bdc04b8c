package io.rsmr.replica.testing;

import java.lang.ref.WeakReference;
import java.util.List;

/** Whether objects a test let go of are really gone: weak references and collections, not a clock. */
public final class Reachability {
    /** Collections tried before concluding that an object is still held. */
    private static final int COLLECTIONS_MAX = 20;

    private Reachability() {}

    /** How many of {@code refs} still point somewhere after up to {@link #COLLECTIONS_MAX} collections. */
    public static int reachable(List<? extends WeakReference<?>> refs) {
        int left = refs.size();
        for (int attempt = 0; attempt < COLLECTIONS_MAX && left > 0; attempt++) {
            System.gc();
            left = (int) refs.stream().filter(r -> r.get() != null).count();
        }
        return left;
    }
}
