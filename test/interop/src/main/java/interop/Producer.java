package interop;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.producer.TopicPublishInfo;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.topic.TopicValidator;

/**
 * Sends messages with a plain DefaultMQProducer and prints one JSON line per event:
 * started, sent (topic, broker, i, id: the message id a consumer sees, at: epoch ms of the
 * acknowledgement), failed (topic, i, error), route (the brokers the
 * producer's cached route for a topic holds, printed when it changes), done (totals).
 *
 * --namesrv "h:p;h:p" --topics A,B --count N (per topic; -1 = until stdin closes or
 * reads "stop") --interval-ms 0 --group G --poll-ms 30000 --send-timeout-ms 3000
 * --retries 2 --await-route-ms 0 (wait up to this long, before the first send, until the
 * name servers route the first topic or, for a topic still to be auto-created, the template
 * topic TBW102; prints "routed" with the topic found and the ms waited)
 */
public final class Producer {
    /** Period of the route polls of --await-route-ms. */
    private static final long ROUTE_POLL_MS = 500;

    private Producer() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String[] topics = args.string("topics", null).split(",");
        long count = args.number("count", 1000);
        long intervalMs = args.number("interval-ms", 0);
        DefaultMQProducer producer = new DefaultMQProducer(args.string("group", "interop_producer_" + System.nanoTime()));
        producer.setNamesrvAddr(args.string("namesrv", null));
        producer.setInstanceName("interop-producer-" + ProcessHandle.current().pid());
        producer.setPollNameServerInterval((int) args.number("poll-ms", 30000));
        producer.setSendMsgTimeout((int) args.number("send-timeout-ms", 3000));
        producer.setRetryTimesWhenSendFailed((int) args.number("retries", 2));
        producer.start();
        long awaitRouteMs = args.number("await-route-ms", 0);
        if (awaitRouteMs > 0) awaitRoute(producer, topics[0], awaitRouteMs);

        AtomicBoolean stop = new AtomicBoolean(false);
        if (count < 0) {
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null && !line.trim().equals("stop")) {
                        // keep reading
                    }
                } catch (Exception ignored) {
                    // stdin gone: stop
                }
                stop.set(true);
            }, "stdin");
            reader.setDaemon(true);
            reader.start();
        }
        Json.event("started", "topics", List.of(topics), "version", org.apache.rocketmq.common.MQVersion.CURRENT_VERSION);

        long began = System.currentTimeMillis();
        long sent = 0;
        long failed = 0;
        Map<String, Long> byBroker = new TreeMap<>();
        Map<String, String> routes = new TreeMap<>();
        for (long i = 0; count < 0 ? !stop.get() : i < count; i++) {
            for (String topic : topics) {
                Message message = new Message(topic, "interop", ("message " + i + " to " + topic).getBytes(StandardCharsets.UTF_8));
                try {
                    SendResult result = producer.send(message);
                    String broker = result.getMessageQueue().getBrokerName();
                    if (result.getSendStatus() == SendStatus.SEND_OK) {
                        sent++;
                        byBroker.merge(broker, 1L, Long::sum);
                        Json.event("sent", "topic", topic, "broker", broker, "i", i, "id", result.getMsgId(), "at", System.currentTimeMillis());
                    } else {
                        failed++;
                        Json.event("failed", "topic", topic, "i", i, "error", result.getSendStatus().toString());
                    }
                } catch (Exception error) {
                    failed++;
                    Json.event("failed", "topic", topic, "i", i, "error", error.toString());
                }
                String route = brokersOf(producer, topic);
                if (!route.equals(routes.get(topic))) {
                    routes.put(topic, route);
                    Json.event("route", "topic", topic, "brokers", route);
                }
            }
            if (intervalMs > 0) Thread.sleep(intervalMs);
        }
        Json.event("done", "sent", sent, "failed", failed, "ms", System.currentTimeMillis() - began, "byBroker", byBroker);
        producer.shutdown();
        System.exit(0);
    }

    /** Polls the name servers until they route `topic` or TBW102; fails after `deadlineMs`. */
    private static void awaitRoute(DefaultMQProducer producer, String topic, long deadlineMs) throws Exception {
        long began = System.currentTimeMillis();
        Exception last = null;
        while (System.currentTimeMillis() - began < deadlineMs) {
            for (String candidate : List.of(topic, TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC)) {
                try {
                    if (!producer.fetchPublishMessageQueues(candidate).isEmpty()) {
                        Json.event("routed", "topic", candidate, "ms", System.currentTimeMillis() - began);
                        return;
                    }
                } catch (MQClientException error) {
                    last = error;
                }
            }
            Thread.sleep(ROUTE_POLL_MS);
        }
        throw new IllegalStateException("no route of " + topic + " or " + TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC + " within " + deadlineMs + " ms", last);
    }

    /** The broker names in the producer's cached route of a topic, sorted, comma-separated. */
    private static String brokersOf(DefaultMQProducer producer, String topic) {
        TopicPublishInfo info = producer.getDefaultMQProducerImpl().getTopicPublishInfoTable().get(topic);
        TreeSet<String> brokers = new TreeSet<>();
        if (info != null) {
            List<MessageQueue> queues = new ArrayList<>(info.getMessageQueueList());
            for (MessageQueue queue : queues) brokers.add(queue.getBrokerName());
        }
        return String.join(",", brokers);
    }
}
