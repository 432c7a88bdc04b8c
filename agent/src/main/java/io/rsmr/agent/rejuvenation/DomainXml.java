package io.rsmr.agent.rejuvenation;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills vm-images' {@code domain.xml.template} (the one definition of a replica VM, packaged with
 * the agent) with a replica's values. Every placeholder must be given and every value is escaped.
 */
public final class DomainXml {
    private static final Pattern PLACEHOLDER = Pattern.compile("@([A-Z_]+)@");
    private static final String TEMPLATE = load();

    private DomainXml() {
    }

    /** @param values placeholder name (without the @) -> raw value; {@code FEATURES} is inserted as XML */
    public static String fill(Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(TEMPLATE);
        StringBuilder out = new StringBuilder();
        int last = 0;
        int body = TEMPLATE.indexOf("<domain type=");
        while (m.find()) {
            out.append(TEMPLATE, last, m.start());
            last = m.end();
            if (m.start() < body) {
                out.append(m.group()); // the template's own comment names the placeholders
                continue;
            }
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("no value for placeholder @" + m.group(1) + "@ of the domain template");
            }
            out.append(m.group(1).equals("FEATURES") ? value : escape(value));
        }
        return out.append(TEMPLATE.substring(last)).toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;").replace("\"", "&quot;");
    }

    private static String load() {
        try (InputStream in = DomainXml.class.getResourceAsStream("domain.xml.template")) {
            if (in == null) {
                throw new IllegalStateException("domain.xml.template is not packaged with the agent");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
