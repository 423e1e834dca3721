package io.jsysbox.runc;

import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.JsysboxException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.MissingArgumentException;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * One command's grammar in runc's style, declared once: flags ({@code -b, --bundle DIR}, {@code --flag=value}
 * too), then operands. The flags end at the first operand, which keeps what follows verbatim (a verb's flags, exec's
 * command). Parsed with commons-cli, whose classes (unlike picocli's, class-file version 49) the AOT cache holds.
 */
final class CommandSyntax {
    static final String HELP = "--help";

    private enum Kind {
        SWITCH,
        VALUE,
        VALUES
    }

    /** {@code names} as the help shows them ("-b, --bundle"); {@code name} the long one, the key of its values. */
    private record Flag(String names, String name, Kind kind, String label, String description) {}

    private final String command;
    private final String description;
    private final List<Flag> flags = new ArrayList<>();
    private final Map<String, Flag> byName = new HashMap<>();
    private final Options options = new Options();
    private final List<String> operands = new ArrayList<>();
    private String remaining;
    private String footer;

    /** {@code command} as typed ("jsysbox-runc create"); every command has {@code -h, --help}. */
    CommandSyntax(String command, String description) {
        this.command = command;
        this.description = description;
        flag("-h, " + HELP, "show this help");
    }

    /** A boolean flag; runc's parser also takes {@code --flag=true|false}. */
    CommandSyntax flag(String names, String description) {
        return add(names, Kind.SWITCH, null, description);
    }

    /** A flag with a value, given once. */
    CommandSyntax value(String names, String label, String description) {
        return add(names, Kind.VALUE, label, description);
    }

    /** A flag with a value that may be given many times. */
    CommandSyntax values(String names, String label, String description) {
        return add(names, Kind.VALUES, label, description);
    }

    /** A required operand, after the flags. */
    CommandSyntax operand(String label) {
        operands.add(label);
        return this;
    }

    /** Any number of operands after the required ones, kept verbatim. */
    CommandSyntax remaining(String label) {
        remaining = label;
        return this;
    }

    CommandSyntax footer(String text) {
        footer = text;
        return this;
    }

    private CommandSyntax add(String names, Kind kind, String label, String description) {
        String shortName = null, longName = null;
        for (String name : names.split(", ")) {
            if (name.startsWith("--")) {
                longName = name.substring(2);
            } else {
                shortName = name.substring(1);
            }
        }
        Flag flag = new Flag(names, "--" + longName, kind, label, description);
        flags.add(flag);
        byName.put(flag.name(), flag);
        options.addOption(Option.builder(shortName)
                .longOpt(longName)
                .hasArg(kind != Kind.SWITCH)
                .get());
        return this;
    }

    /**
     * Parses {@code arguments} as Go's flag package (runc's) reads them, with the old CLI's checks: no abbreviated
     * flags, a single-valued flag given once, the first operand (or what follows {@code --}) ends the flags.
     */
    Parsed parse(List<String> arguments) throws JsysboxException {
        DefaultParser parser = DefaultParser.builder()
                .setAllowPartialMatching(false)
                .setStripLeadingAndTrailingQuotes(false)
                .get();
        Map<String, List<String>> values = new HashMap<>();
        int from = 0;
        while (true) {
            List<String> rest;
            try {
                org.apache.commons.cli.CommandLine line = parser.parse(
                        options,
                        null,
                        DefaultParser.NonOptionAction.STOP,
                        arguments.subList(from, arguments.size()).toArray(String[]::new));
                for (Option option : line.getOptions()) {
                    record(values, byName.get("--" + option.getLongOpt()), option.getValue());
                }
                rest = line.getArgList();
            } catch (MissingArgumentException e) {
                Flag flag = byName.get("--" + e.getOption().getLongOpt());
                throw problem("Missing value for option '" + flag.name() + "' (" + flag.label() + ")");
            } catch (ParseException e) {
                throw problem(ErrorLog.oneLine(e.getMessage()));
            }
            // Where commons-cli stopped: at an operand (or after "--"), which ends the flags; at a Go-style
            // --switch=true|false; or at an unknown flag. It hands back only the unknown part of a cluster like
            // "-dx", so what counts is the whole argument at that position.
            int first = arguments.size() - rest.size();
            String token = rest.isEmpty() ? "" : arguments.get(first);
            boolean afterDelimiter = first > from && arguments.get(first - 1).equals("--");
            if (afterDelimiter || !token.startsWith("-") || token.equals("-")) {
                return operands(values, arguments.subList(first, arguments.size()));
            }
            if (values.containsKey(HELP)) {
                return new Parsed(this, values, List.of());
            }
            int equals = token.indexOf('=');
            Flag flag = equals < 0 ? null : byName.get(token.substring(0, equals));
            if (flag == null || flag.kind() != Kind.SWITCH) {
                throw problem("Unknown option: '" + token + "'");
            }
            String value = token.substring(equals + 1);
            if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                throw problem("Invalid value for option '" + flag.name() + "': '" + value + "' is not a boolean");
            }
            record(values, flag, String.valueOf(Boolean.parseBoolean(value)));
            from = first + 1;
        }
    }

    private void record(Map<String, List<String>> values, Flag flag, String value) throws JsysboxException {
        List<String> given = values.computeIfAbsent(flag.name(), name -> new ArrayList<>());
        if (!given.isEmpty() && flag.kind() != Kind.VALUES) {
            throw problem("option '" + flag.name() + "' should be specified only once");
        }
        given.add(flag.kind() == Kind.SWITCH && value == null ? "true" : value);
    }

    private Parsed operands(Map<String, List<String>> values, List<String> given) throws JsysboxException {
        if (!values.containsKey(HELP)) {
            if (given.size() < operands.size()) {
                throw problem("Missing required parameter: '" + operands.get(given.size()) + "'");
            }
            if (given.size() > operands.size() && remaining == null) {
                throw problem("Unmatched argument: '" + given.get(operands.size()) + "'");
            }
        }
        return new Parsed(this, values, List.copyOf(given));
    }

    JsysboxException problem(String message) {
        return new JsysboxException(message + " (see '" + command + " " + HELP + "')");
    }

    void printUsage(PrintStream out) {
        StringBuilder usage = new StringBuilder("Usage: ").append(command).append(" [OPTIONS]");
        for (String operand : operands) {
            usage.append(' ').append(operand);
        }
        if (remaining != null) {
            usage.append(" [").append(remaining).append("...]");
        }
        out.println(usage);
        out.println(description);
        out.println();
        out.println("Options:");
        for (Flag flag : flags) {
            String names = (flag.names().startsWith("--") ? "    " : "")
                    + flag.names()
                    + (flag.label() == null ? "" : " " + flag.label());
            out.printf("  %-32s %s%n", names, flag.description());
        }
        if (footer != null) {
            out.printf("%n%s%n", footer);
        }
        out.flush();
    }

    /** The flags' values, by long name ("--bundle"), and the operands. */
    record Parsed(CommandSyntax syntax, Map<String, List<String>> values, List<String> operands) {
        boolean help() {
            return has(HELP);
        }

        boolean has(String name) {
            return "true".equals(value(name));
        }

        /** The value of a single-valued flag, or null. */
        String value(String name) {
            if (!syntax.byName.containsKey(name)) {
                throw new IllegalArgumentException(name + " is no flag of " + syntax.command);
            }
            List<String> given = values.get(name);
            return given == null ? null : given.getFirst();
        }

        int integer(String name, int otherwise) throws JsysboxException {
            String value = value(name);
            if (value == null) {
                return otherwise;
            }
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw syntax.problem("Invalid value for option '" + name + "': '" + value + "' is not an int");
            }
        }
    }
}
