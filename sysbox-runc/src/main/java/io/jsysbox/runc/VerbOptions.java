package io.jsysbox.runc;

import io.jsysbox.spec.JsysboxException;
import java.util.List;

/** A verb's options object: the verb's declared syntax, and how it takes the parsed values. */
interface VerbOptions {
    CommandSyntax syntax();

    void set(CommandSyntax.Parsed parsed) throws JsysboxException;

    /**
     * Fills {@code options} from {@code arguments}; prints the verb's usage and answers true on --help. Like runc,
     * the first positional argument ends the flags (exec's command keeps its own).
     */
    static boolean parse(VerbOptions options, List<String> arguments) throws JsysboxException {
        CommandSyntax.Parsed parsed = options.syntax().parse(arguments);
        if (parsed.help()) {
            options.syntax().printUsage(System.out);
            return true;
        }
        options.set(parsed);
        return false;
    }
}
