package io.jsysbox.runc;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * jsysbox-runc: an OCI runtime CLI that containerd-shim and Docker drive exactly like runc. create, run and exec
 * add the system-container work around runc; every other verb is runc's, run with the same flags.
 * The installed launcher already sends runc's own verbs (containerd runs several per container) straight to runc,
 * without a JVM; {@link #passThroughVerb} does the same for a direct start of this class, loading neither
 * commons-cli, Jackson nor gRPC, which only the classes of the jsysbox verbs reference.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int verb = passThroughVerb(args);
        if (verb >= 0) {
            List<String> all = List.of(args);
            try {
                System.exit(Runc.fromEnvironment(all.subList(0, verb)).run(args[verb], all.subList(verb + 1, args.length)));
            } catch (JsysboxException e) {
                // Reported by the full path below, which knows the log file and format.
            }
        }
        System.exit(run(args));
    }

    /** Verbs jsysbox does work for; every other verb is runc's alone. */
    private static final Set<String> JSYSBOX_VERBS = Set.of("create", "run", "exec", StartedHook.VERB);

    /**
     * When {@code args} are known global flags and then a verb runc handles alone, the index of that verb (runc gets
     * the arguments verbatim); else -1. The launcher's dispatch, for when this class is started directly.
     */
    static int passThroughVerb(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-")) return JSYSBOX_VERBS.contains(arg) ? -1 : i;
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg : arg.substring(0, equals);
            if (GlobalOptions.VALUE_FLAGS.contains(name)) {
                if (equals < 0) i++;
            } else if (!GlobalOptions.BOOLEAN_FLAGS.contains(arg)) {
                return -1;
            }
        }
        return -1;
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
            if (in != null) properties.load(in);
        } catch (IOException e) {
            // Unknown version: said so below.
        }
        return properties.getProperty("version", "unknown");
    }
}
