package io.rsmr.cli.image;

import io.rsmr.cli.ExitCodes;
import io.rsmr.cli.UsageException;
import io.rsmr.cli.options.OutputOption;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFileException;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.image.ImageException;
import io.rsmr.common.image.ImageManifest;
import io.rsmr.common.image.ManifestSignature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rsmr image sign}: the operator's Ed25519 signature over a manifest's exact bytes. */
@Command(name = "sign", mixinStandardHelpOptions = true,
        description = {"Sign an image manifest (vm-images/out/manifest.json) with the operator's Ed25519 key.",
            "The manifest is parsed first: a file that is not a manifest is not signed."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:signed", "1:the signature could not be written", "2:bad usage, key or manifest"})
public final class ImageSignCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOption output;

    @Parameters(index = "0", paramLabel = "MANIFEST", description = "The manifest to sign.")
    Path manifest;

    @Option(names = {"-k", "--key"}, required = true, paramLabel = "FILE",
            description = "The operator's signing key (kind=signing-key).")
    Path key;

    @Option(names = "--out", paramLabel = "FILE", description = "Where the signature goes (default: MANIFEST.sig).")
    Path out;

    @Override
    public Integer call() throws IOException {
        ImageManifest m;
        Ed25519Keys.SigningKey operator;
        try {
            m = ImageManifest.read(manifest);
            operator = KeyFiles.readSigningKey(key);
        } catch (ImageException | KeyFileException e) {
            throw new UsageException(e.getMessage());
        }
        Path target = out != null ? out : manifest.resolveSibling(manifest.getFileName() + ".sig");
        ManifestSignature signature = ManifestSignature.sign(operator, m.raw());
        signature.write(target);
        PrintWriter w = spec.commandLine().getOut();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("manifest", manifest.toString());
        result.put("manifestSha256", HexFormat.of().formatHex(signature.manifestSha256()));
        result.put("files", m.files().stream().map(ImageManifest.Entry::name).toList());
        result.put("signature", target.toString());
        if (output.json()) {
            OutputOption.printJson(w, result);
        } else {
            w.printf("signed %s (sha256 %s, files %s) -> %s%n", manifest, result.get("manifestSha256"), result.get("files"), target);
            w.flush();
        }
        return ExitCodes.OK;
    }
}
