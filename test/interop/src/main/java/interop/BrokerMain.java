package interop;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.rocketmq.broker.BrokerStartup;

/**
 * Runs the Apache RocketMQ broker (BrokerStartup -c) on several broker.conf files joined in
 * order, so that a container without a shell can add generated lines (the ACL credentials of
 * the compose profile "rocketmq") to a mounted broker.conf. A later file's key wins.
 *
 * FILE [FILE...]
 */
public final class BrokerMain {
    private BrokerMain() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) throw new IllegalArgumentException("usage: interop.BrokerMain BROKER_CONF [BROKER_CONF...]");
        StringBuilder joined = new StringBuilder();
        for (String file : argv) {
            Path path = Path.of(file);
            if (!Files.isReadable(path)) throw new IllegalArgumentException("broker.conf file not readable: " + file);
            joined.append(Files.readString(path, StandardCharsets.ISO_8859_1)).append('\n');
        }
        Path conf = Files.createTempFile("broker-", ".conf");
        Files.writeString(conf, joined, StandardCharsets.ISO_8859_1);
        BrokerStartup.main(new String[] {"-c", conf.toString()});
    }
}
