package interop;

import java.util.Collection;
import java.util.Map;

/** Minimal JSON writer for the one-line events the test programs print. */
final class Json {
    private Json() {
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
            }
        }
        return out.append('"').toString();
    }

    static String value(Object value) {
        if (value == null) return "null";
        if (value instanceof Number || value instanceof Boolean) return value.toString();
        if (value instanceof Map) {
            StringBuilder out = new StringBuilder("{");
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (out.length() > 1) out.append(',');
                out.append(quote(String.valueOf(entry.getKey()))).append(':').append(value(entry.getValue()));
            }
            return out.append('}').toString();
        }
        if (value instanceof Collection) {
            StringBuilder out = new StringBuilder("[");
            for (Object item : (Collection<?>) value) {
                if (out.length() > 1) out.append(',');
                out.append(value(item));
            }
            return out.append(']').toString();
        }
        return quote(value.toString());
    }

    /** Prints one event line: {"event":name, k1:v1, ...} and flushes. */
    static synchronized void event(String name, Object... keyValues) {
        StringBuilder out = new StringBuilder("{\"event\":").append(quote(name));
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            out.append(',').append(quote(keyValues[i].toString())).append(':').append(value(keyValues[i + 1]));
        }
        System.out.println(out.append('}'));
        System.out.flush();
    }
}
