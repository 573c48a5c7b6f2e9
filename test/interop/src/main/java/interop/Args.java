package interop;

import java.util.HashMap;
import java.util.Map;

/** `--key value` command-line arguments of the interop test programs. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --key value, got " + argv[i]);
            }
            values.put(argv[i].substring(2), argv[++i]);
        }
    }

    String string(String key, String fallback) {
        String value = values.get(key);
        if (value == null && fallback == null) throw new IllegalArgumentException("missing --" + key);
        return value == null ? fallback : value;
    }

    long number(String key, long fallback) {
        String value = values.get(key);
        return value == null ? fallback : Long.parseLong(value);
    }
}
