package io.jsysbox.runc;

import picocli.CommandLine;

import java.util.List;

/** Parses one verb's flags (runc's names and forms) into an annotated options object. */
final class VerbOptions {
    private VerbOptions() {}

    /**
     * Fills {@code options} from {@code arguments}; prints the verb's usage and answers true on --help. Like runc,
     * the first positional argument ends the flags (exec's command keeps its own).
     */
    static boolean parse(Object options, List<String> arguments) throws JsysboxException {
        CommandLine line = new CommandLine(options).setStopAtPositional(true).setExpandAtFiles(false);
        try {
            line.parseArgs(arguments.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new JsysboxException(problem(e, "jsysbox-runc " + line.getCommandName() + " --help"));
        }
        if (!line.isUsageHelpRequested()) return false;
        line.usage(System.out);
        return true;
    }

    /** A one-line version of picocli's complaint, pointing at the help. */
    static String problem(CommandLine.ParameterException e, String help) {
        return ErrorLog.oneLine(e.getMessage()) + " (see '" + help + "')";
    }
}
