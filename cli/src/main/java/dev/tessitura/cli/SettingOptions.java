package dev.tessitura.cli;

import dev.tessitura.model.Settings;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * A model's {@link Settings} as picocli options: one option per setting with a command-line name, its help from the
 * declaration and its default from the record's defaults, so that --help is always what the code does. Values are
 * text, parsed by the setting itself when applied (a bad one is a usage error, exit 2), in declaration order: a command
 * that serves several models (generate, evaluate) parses them once it knows the checkpoint's model.
 */
final class SettingOptions {
    private SettingOptions() {}

    /**
     * Adds an option for every setting that has one and that spec does not have yet; {@code modelsOf}, where not
     * null, names the models that read each option (for commands that serve several).
     */
    static <C> void add(CommandSpec spec, Settings<C> settings, Map<String, String> modelsOf) {
        for (Settings.Setting<C> s : settings.all()) {
            if (s.options().isEmpty() || spec.findOption(s.name()) != null) continue;
            Object dflt = s.get().apply(settings.defaults());
            String more = modelsOf == null ? "" : " [" + modelsOf.get(s.name()) + "]";
            OptionSpec.Builder o = OptionSpec.builder(s.options().toArray(String[]::new)).hasInitialValue(false);
            if (s.type() == Settings.Type.FLAG) {
                o.arity("0").type(boolean.class).description(s.help() + more);
            } else {
                o.arity("1").type(String.class).paramLabel(s.label())
                        .description(s.help() + (s.type() == Settings.Type.WORD ? ": " + s.wants() : "") + " (default: " + s.show(dflt) + ")" + more);
            }
            spec.addOption(o.build());
        }
    }

    /** The defaults with every option of these settings that was given applied, in declaration order. */
    static <C> C apply(ParseResult pr, Settings<C> settings) {
        return apply(pr, settings, settings.defaults());
    }

    /** {@code start} with every given option of these settings applied; a rejected combination is a usage error. */
    static <C> C apply(ParseResult pr, Settings<C> settings, C start) {
        C c = start;
        for (Settings.Setting<C> s : settings.all()) {
            if (s.options().isEmpty() || !pr.hasMatchedOption(s.name())) continue;
            try {
                c = s.type() == Settings.Type.FLAG ? s.with().apply(c, Boolean.TRUE) : settings.with(c, s, pr.matchedOption(s.name()).getValue());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(pr.commandSpec().commandLine(), e.getMessage(), e);
            }
        }
        return c;
    }

    /** The names of the given options that are among {@code settings}' (for "this option is for model X"). */
    static <C> List<String> given(ParseResult pr, Settings<C> settings) {
        return settings.all().stream().filter(s -> !s.options().isEmpty() && pr.hasMatchedOption(s.name())).map(Settings.Setting::name).toList();
    }
}
