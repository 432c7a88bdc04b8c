package io.rsmr.cli;

import static io.rsmr.cli.CliRun.rsmr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RsmrTest {
    @Test
    void helpListsTheSubcommandsAndExitCodes() {
        CliRun r = rsmr("--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("plan") && r.out().contains("completion"), r.toString());
        assertTrue(r.out().contains("2   bad usage or bad config"), r.toString());
    }

    @Test
    void everySubcommandHasUsageHelp() {
        for (String sub : Rsmr.commandLine().getSubcommands().keySet()) {
            if (sub.equals("help")) {
                continue;
            }
            CliRun r = rsmr(sub, "--help");
            assertEquals(0, r.code(), sub + ": " + r);
            assertTrue(r.out().startsWith("Usage: rsmr " + sub), sub + ": " + r);
        }
    }

    @Test
    void versionNamesTheBuild() {
        CliRun r = rsmr("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s)rsmr \\d+\\.\\d+\\.\\d+.*"), r.toString());
    }

    @Test
    void completionScriptCoversSubcommandsAndOptions() {
        CliRun r = rsmr("completion");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("complete -F _complete_rsmr"), "a bash completion function is registered");
        assertTrue(r.out().contains("plan") && r.out().contains("--output"), "subcommands and their options complete");
    }

    @Test
    void noSubcommandIsAUsageError() {
        CliRun r = rsmr();
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("name a subcommand"), r.toString());
    }

    @Test
    void aMisspelledSubcommandGetsASuggestion() {
        CliRun r = rsmr("plna");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Did you mean: rsmr plan"), r.toString());
        assertEquals("", r.out());
    }
}
