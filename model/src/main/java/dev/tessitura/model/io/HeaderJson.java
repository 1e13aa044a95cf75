package dev.tessitura.model.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON subset a safetensors header uses, written and parsed by hand (no dependency): objects, arrays, strings and
 * integers. Parsing yields LinkedHashMap, ArrayList, String and Long; anything else (fractions, true, false, null,
 * duplicate keys, nesting deeper than {@link #MAX_DEPTH}) is an error with its character offset.
 */
final class HeaderJson {
    /** Deep enough for the header (object, tensor object, shape array); stops a hostile file exhausting the stack. */
    static final int MAX_DEPTH = 8;

    /** A parse error at character {@code offset} of the header text. */
    static final class Error extends Exception {
        final int offset;

        Error(String message, int offset) {
            super(message);
            this.offset = offset;
        }
    }

    private final String s;
    private int pos;

    private HeaderJson(String s) {
        this.s = s;
    }

    /** Parses one value followed only by whitespace (the header's space padding). */
    static Object parse(String text) throws Error {
        HeaderJson p = new HeaderJson(text);
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) throw new Error("unexpected '" + text.charAt(p.pos) + "' after the header object", p.pos);
        return v;
    }

    private Object value(int depth) throws Error {
        if (depth >= MAX_DEPTH) throw new Error("nested more than " + MAX_DEPTH + " levels deep", pos);
        skipSpace();
        if (pos >= s.length()) throw new Error("unexpected end of header", pos);
        char c = s.charAt(pos);
        if (c == '{') return object(depth);
        if (c == '[') return array(depth);
        if (c == '"') return string();
        if (c == '-' || (c >= '0' && c <= '9')) return integer();
        throw new Error("unexpected '" + c + "' (expected an object, array, string or integer)", pos);
    }

    private Map<String, Object> object(int depth) throws Error {
        Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        skipSpace();
        if (peek() == '}') {
            pos++;
            return m;
        }
        while (true) {
            skipSpace();
            int at = pos;
            if (peek() != '"') throw new Error("expected a quoted key", pos);
            String key = string();
            skipSpace();
            expect(':');
            Object v = value(depth + 1);
            if (m.put(key, v) != null) throw new Error("duplicate key \"" + key + "\"", at);
            skipSpace();
            char c = next();
            if (c == '}') return m;
            if (c != ',') throw new Error("expected ',' or '}' in an object", pos - 1);
        }
    }

    private List<Object> array(int depth) throws Error {
        List<Object> a = new ArrayList<>();
        pos++;
        skipSpace();
        if (peek() == ']') {
            pos++;
            return a;
        }
        while (true) {
            a.add(value(depth + 1));
            skipSpace();
            char c = next();
            if (c == ']') return a;
            if (c != ',') throw new Error("expected ',' or ']' in an array", pos - 1);
        }
    }

    private String string() throws Error {
        int start = pos;
        pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw new Error("unterminated string", start);
            char c = s.charAt(pos++);
            if (c == '"') return b.toString();
            if (c < 0x20) throw new Error("control character in a string", pos - 1);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) throw new Error("truncated \\u escape", pos - 2);
                    try {
                        b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException x) {
                        throw new Error("bad \\u escape", pos - 2);
                    }
                    pos += 4;
                }
                default -> throw new Error("bad escape '\\" + e + "'", pos - 2);
            }
        }
    }

    private Long integer() throws Error {
        int start = pos;
        if (peek() == '-') pos++;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
        if (pos < s.length() && (s.charAt(pos) == '.' || s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            throw new Error("only integers are expected in a header", start);
        }
        try {
            return Long.parseLong(s.substring(start, pos));
        } catch (NumberFormatException x) {
            throw new Error("bad integer '" + s.substring(start, pos) + "'", start);
        }
    }

    private void skipSpace() {
        while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\r' || s.charAt(pos) == '\t')) pos++;
    }

    private char peek() throws Error {
        if (pos >= s.length()) throw new Error("unexpected end of header", pos);
        return s.charAt(pos);
    }

    private char next() throws Error {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) throws Error {
        if (next() != c) throw new Error("expected '" + c + "'", pos - 1);
    }

    /** Appends s as a JSON string literal: quotes, backslashes and control characters escaped. */
    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
