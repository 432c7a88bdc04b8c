package io.rsmr.cli.image;

import io.rsmr.cli.ExitCodes;
import io.rsmr.cli.UsageException;
import io.rsmr.cli.options.ConfigOption;
import io.rsmr.cli.options.OutputOption;
import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ConfigException;
import io.rsmr.common.config.Images;
import io.rsmr.common.crypto.KeyFileException;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.image.ImageException;
import io.rsmr.common.image.ImageManifest;
import io.rsmr.common.image.ImageVerifier;
import io.rsmr.common.image.ImageVerifier.FileCheck;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code rsmr image verify}: what the agent checks before every boot, with the same code: the
 * manifest's signature with the operator's public key, then each golden file's size and SHA-256,
 * and the read-only copies when that folder exists.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify the golden image files of a cluster config (images:) against the signed manifest,",
            "with the operator's public key (keys.operatorPublicKey) -- the agent's own check."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:signature and every file verify", "1:a bad signature, or a missing or corrupt file",
            "2:bad usage or config"})
public final class ImageVerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Mixin
    OutputOption output;

    @Override
    public Integer call() throws ConfigException, InterruptedException {
        ClusterConfig c = config.load();
        Images images = c.images();
        byte[] operatorKey;
        try {
            operatorKey = KeyFiles.readPublicKey(c.keys().operatorPublicKey());
        } catch (KeyFileException e) {
            throw new UsageException(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        ImageManifest m;
        try {
            m = ImageVerifier.verifiedManifest(images.manifest(), images.signature(), operatorKey);
        } catch (ImageException e) {
            report(out, false, e.getMessage(), List.of());
            return ExitCodes.FAILED;
        }
        List<FileCheck> checks = new ArrayList<>();
        for (Path golden : List.of(images.kernel(), images.initramfs(), images.root())) {
            checks.add(check(m, golden));
            Path copy = images.readOnlyCopy().resolve(golden.getFileName());
            if (Files.isDirectory(images.readOnlyCopy())) {
                checks.add(check(m, copy));
            }
        }
        boolean ok = checks.stream().allMatch(FileCheck::ok);
        report(out, ok, "signature ok (" + images.signature() + ")", checks);
        return ok ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private static FileCheck check(ImageManifest m, Path file) throws InterruptedException {
        String name = file.getFileName().toString();
        ImageManifest.Entry entry = m.file(name).orElseThrow(() -> new UsageException(
                "the manifest has no entry for " + name + " (its files: " + m.files().stream().map(ImageManifest.Entry::name).toList() + ")"));
        return ImageVerifier.check(entry, file);
    }

    private void report(PrintWriter out, boolean ok, String signature, List<FileCheck> checks) {
        if (output.json()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("ok", ok);
            j.put("signature", signature);
            j.put("files", checks.stream().map(ImageVerifyCommand::json).toList());
            OutputOption.printJson(out, j);
            return;
        }
        out.println((ok ? "OK: " : "FAILED: ") + signature);
        for (FileCheck f : checks) {
            out.printf(Locale.ROOT, "  [%s] %s: %s (%.0f MB/s)%n", f.ok() ? " ok " : "FAIL", f.path(), f.ok() ? "matches" : f.status()
                    + ": " + f.detail(), f.bytesPerSecond() / 1e6);
        }
        out.flush();
    }

    private static Map<String, Object> json(FileCheck f) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("file", f.path().toString());
        j.put("status", f.status().name());
        j.put("detail", f.detail());
        j.put("bytes", f.bytes());
        j.put("millis", f.nanos() / 1_000_000.0);
        return j;
    }
}
