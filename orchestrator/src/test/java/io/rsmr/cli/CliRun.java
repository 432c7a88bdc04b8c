package io.rsmr.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** What one in-process run of {@code rsmr} returned and printed. */
public record CliRun(int code, String out, String err) {
    public static CliRun rsmr(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Rsmr.run(new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
    }
}
