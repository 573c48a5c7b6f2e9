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
 * reads "stop".
 *
 * --namesrv "h:p;h:p" --group G --topics A,B
 */
public final class Consumer {
    private Consumer() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String[] topics = args.string("topics", null).split(",");
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
        for (String topic : topics) consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (messages, context) -> {
            for (MessageExt message : messages) {
                Set<String> ids = unique.get(message.getTopic());
                if (ids == null) continue;
                ids.add(message.getMsgId());
                total.merge(message.getTopic(), 1L, Long::sum);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        Json.event("started", "group", consumer.getConsumerGroup());

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
}
