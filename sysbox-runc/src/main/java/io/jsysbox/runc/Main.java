package io.jsysbox.runc;

import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.JsysboxException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;

/**
 * jsysbox-runc: an OCI runtime CLI that containerd-shim and Docker drive exactly like runc. create, run, exec and
 * pause add the system-container work around runc; every other verb is runc's, run with the same flags.
 * The installed launcher sends runc's own verbs (containerd runs several per container) straight to runc without
 * a JVM; started directly, this class passes them through too, loading neither Jackson nor gRPC, which only the
 * classes of the jsysbox verbs reference.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        GlobalOptions globals = new GlobalOptions();
        ErrorLog errors = new ErrorLog(null, false);
        try {
            parse(globals, args);
            errors = new ErrorLog(globals.log, globals.jsonLog());
            if (globals.logFormat != null && !List.of("text", "json").contains(globals.logFormat)) {
                throw new JsysboxException("unknown --log-format '" + globals.logFormat + "': use text or json");
            }
            if (globals.help || (globals.verbAndArguments.isEmpty() && !globals.version)) {
                GlobalOptions.SYNTAX.printUsage(System.out);
                return 0;
            }
            Runc runc = Runc.fromEnvironment(globals.runcArguments());
            if (globals.version) {
                System.out.println("jsysbox-runc version " + version());
                System.out.flush();
                return runc.run("--version", List.of());
            }
            String verb = globals.verbAndArguments.getFirst();
            List<String> arguments = globals.verbAndArguments.subList(1, globals.verbAndArguments.size());
            return switch (verb) {
                case "create" -> CreateCommand.main(runc, errors, arguments);
                case "run" -> RunCommand.main(runc, errors, arguments);
                case "exec" -> ExecCommand.main(runc, arguments);
                case "pause" -> PauseCommand.main(runc, errors, arguments);
                case StartedHook.VERB -> StartedHook.main(arguments);
                default -> runc.run(verb, arguments);
            };
        } catch (JsysboxException e) {
            errors.error(e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            errors.error("internal error (please report): " + e);
            return 1;
        }
    }

    /** Fills {@code globals}; everything from the verb on is kept verbatim, as runc's flags end at the verb. */
    static void parse(GlobalOptions globals, String[] args) throws JsysboxException {
        globals.set(GlobalOptions.SYNTAX.parse(List.of(args)));
    }

    private static String version() {
        Properties properties = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // Unknown version: said so below.
        }
        return properties.getProperty("version", "unknown");
    }
}
