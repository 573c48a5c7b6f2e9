package interop;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * A DefaultMQPushConsumer in a new group (consuming from the first offset) that counts the
 * distinct messages it receives per topic. Prints "started", then a "counts" line (unique and
 * total per topic) whenever the counts changed, every 200 ms, and stops when stdin closes or
 * reads "stop" (with --stdin ignore: when the process is terminated). With --print-received
 * true it also prints a "received" line (topic, id, at: epoch ms) the first time each message
 * arrives.
 *
 * --namesrv "h:p;h:p" --group G --topics A,B --poll-ms 30000 --heartbeat-ms 30000
 * --stdin stop|ignore --print-received false|true
 *
 * --heartbeat-ms is the client's heartbeatBrokerInterval: a consumer that starts before its
 * topic exists is known to the topic's broker (and rebalanced) only from its next heartbeat.
 */
public final class Consumer {
    private Consumer() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String[] topics = args.string("topics", null).split(",");
        boolean printReceived = bool(args, "print-received", false);
        String stdin = args.string("stdin", "stop");
        if (!stdin.equals("stop") && !stdin.equals("ignore")) throw new IllegalArgumentException("--stdin must be stop or ignore, got " + stdin);
        Map<String, Set<String>> unique = new ConcurrentHashMap<>();
        Map<String, Long> total = new ConcurrentHashMap<>();
        for (String topic : topics) {
            unique.put(topic, ConcurrentHashMap.newKeySet());
            total.put(topic, 0L);
        }
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(args.string("group", null));
        consumer.setNamesrvAddr(args.string("namesrv", null));
        consumer.setInstanceName("interop-consumer-" + ProcessHandle.current().pid());
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPollNameServerInterval((int) args.number("poll-ms", 30000));
        consumer.setHeartbeatBrokerInterval((int) args.number("heartbeat-ms", 30000));
        for (String topic : topics) consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (messages, context) -> {
            for (MessageExt message : messages) {
                Set<String> ids = unique.get(message.getTopic());
                if (ids == null) continue;
                if (ids.add(message.getMsgId()) && printReceived) {
                    Json.event("received", "topic", message.getTopic(), "id", message.getMsgId(), "at", System.currentTimeMillis());
                }
                total.merge(message.getTopic(), 1L, Long::sum);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        Json.event("started", "group", consumer.getConsumerGroup());

        if (stdin.equals("ignore")) {
            Runtime.getRuntime().addShutdownHook(new Thread(consumer::shutdown, "shutdown"));
        } else {
            stopOnStdin(consumer);
        }

        String last = "";
        for (;;) {
            Map<String, Object> counts = new TreeMap<>();
            long all = 0;
            for (String topic : topics) {
                int distinct = unique.get(topic).size();
                all += distinct;
                counts.put(topic, Map.of("unique", distinct, "total", total.get(topic)));
            }
            String now = Json.value(counts);
            if (!now.equals(last)) {
                last = now;
                Json.event("counts", "counts", counts, "unique", all);
            }
            Thread.sleep(200);
        }
    }

    /** Stops the consumer and exits when stdin closes or reads "stop". */
    private static void stopOnStdin(DefaultMQPushConsumer consumer) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !line.trim().equals("stop")) {
                    // keep reading
                }
            } catch (Exception ignored) {
                // stdin gone: stop
            }
            consumer.shutdown();
            System.exit(0);
        }, "stdin");
        reader.start();
    }

    private static boolean bool(Args args, String key, boolean fallback) {
        String value = args.string(key, String.valueOf(fallback));
        if (!value.equals("true") && !value.equals("false")) throw new IllegalArgumentException("--" + key + " must be true or false, got " + value);
        return value.equals("true");
    }
}
