package io.reflex.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A synthetic market feed, deterministic for a seed: trades that follow a random walk per symbol,
 * with occasional price jumps and volume spikes, and news headlines, some of them alarming.
 *
 * <p>Record {@code i} has event time {@code startMillis + i * stepMillis}, so a run paced at one
 * record per step keeps event time close to the wall clock, and an unpaced run replays a day in
 * seconds.
 */
public final class FeedGenerator {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static final String TRADES_TOPIC = "market.trades";
    public static final String NEWS_TOPIC = "market.news";

    private static final String[] CALM = {
        "%s announces quarterly dividend",
        "%s opens new regional office",
        "Analysts keep %s rating unchanged",
        "%s hires new chief marketing officer",
        "%s presents at industry conference",
    };
    private static final String[] ALARMING = {
        "%s halts trading amid fraud probe",
        "Regulators open investigation into %s accounting",
        "%s issues recall of flagship product",
        "%s warns of bankruptcy risk",
        "%s CEO resigns unexpectedly",
    };

    /**
     * Feed settings.
     *
     * @param symbols the symbols to trade
     * @param seed the random seed
     * @param startMillis event time of the first record
     * @param stepMillis event time between records
     * @param newsProbability chance that a record is a headline rather than a trade
     * @param alarmingProbability chance that a headline is alarming
     * @param jumpProbability chance that a trade jumps the price by 5 to 12 percent
     * @param spikeProbability chance that a trade's volume is 10 to 30 times the usual
     */
    public record Options(
            List<String> symbols,
            long seed,
            long startMillis,
            long stepMillis,
            double newsProbability,
            double alarmingProbability,
            double jumpProbability,
            double spikeProbability) {

        /** Eight symbols, mostly trades, with rare jumps, spikes and alarming news. */
        public static Options defaults(long startMillis) {
            return new Options(
                    List.of("ACME", "GLOBX", "INIT", "UMBR", "WAYN", "STRK", "OSCP", "TYRL"),
                    7,
                    startMillis,
                    20,
                    0.05,
                    0.25,
                    0.004,
                    0.004);
        }
    }

    /** One generated record. */
    public record FeedRecord(String topic, String key, String json, long eventTime) {}

    private final Options options;
    private final Random random;
    private final double[] prices;
    private long index;

    public FeedGenerator(Options options) {
        this.options = options;
        this.random = new Random(options.seed());
        this.prices = new double[options.symbols().size()];
        for (int i = 0; i < prices.length; i++) {
            prices[i] = 20 + random.nextInt(180);
        }
    }

    /** The next record of the feed. */
    public FeedRecord next() {
        long i = index++;
        long ts = options.startMillis() + i * options.stepMillis();
        int s = random.nextInt(prices.length);
        String symbol = options.symbols().get(s);
        ObjectNode n = MAPPER.createObjectNode();
        if (random.nextDouble() < options.newsProbability()) {
            boolean alarming = random.nextDouble() < options.alarmingProbability();
            String[] pool = alarming ? ALARMING : CALM;
            n.put("id", "n-" + options.seed() + "-" + i);
            n.put("symbol", symbol);
            n.put("headline", String.format(pool[random.nextInt(pool.length)], symbol));
            n.put("ts", ts);
            return new FeedRecord(NEWS_TOPIC, symbol, n.toString(), ts);
        }
        double move = random.nextGaussian() * 0.002;
        if (random.nextDouble() < options.jumpProbability()) {
            move = (random.nextBoolean() ? 1 : -1) * (0.05 + random.nextDouble() * 0.07);
        }
        prices[s] = Math.max(0.01, prices[s] * Math.exp(move));
        long volume = Math.max(1, Math.round(300 * Math.exp(random.nextGaussian() * 0.3)));
        if (random.nextDouble() < options.spikeProbability()) {
            volume *= 10 + random.nextInt(21);
        }
        n.put("id", "t-" + options.seed() + "-" + i);
        n.put("symbol", symbol);
        n.put("price", Math.round(prices[s] * 100) / 100.0);
        n.put("volume", volume);
        n.put("ts", ts);
        return new FeedRecord(TRADES_TOPIC, symbol, n.toString(), ts);
    }

    /**
     * Writes {@code n} alarming headlines to {@code topic}, one per key, and waits for each: record
     * {@code i} is {@code
     * {"id":"<idPrefix>i","symbol":"<symbolPrefix>i","headline":"<symbolPrefix>i fraud
     * probe","ts":1000+i}}, so a rule matching {@code fraud} fires once per key.
     */
    public static void produceAlarmingNews(
            String bootstrapServers, String topic, String idPrefix, String symbolPrefix, int n)
            throws Exception {
        try (Producer<byte[], byte[]> p =
                new KafkaProducer<>(producerProperties(bootstrapServers))) {
            for (int i = 0; i < n; i++) {
                ObjectNode news = MAPPER.createObjectNode();
                news.put("id", idPrefix + i);
                news.put("symbol", symbolPrefix + i);
                news.put("headline", symbolPrefix + i + " fraud probe");
                news.put("ts", 1_000 + i);
                // Synchronously, so that a failed write fails here and not as a missing request.
                p.send(new ProducerRecord<>(topic, MAPPER.writeValueAsBytes(news))).get();
            }
        }
    }

    /** Producer settings for a feed: acknowledged by all replicas, and not idempotent (below). */
    public static Properties producerProperties(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // Not idempotent: twice an idempotent producer was seen stuck for its whole delivery
        // timeout on OutOfOrderSequenceException right after the in-process broker created the
        // topic (the broker held the first batch, the producer re-sent it as sequence 0). A plain
        // retry may write a record twice instead; every record here carries an event id, and
        // Reflex drops replays by id.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        return p;
    }

    /** Sends one record. */
    public static void send(Producer<byte[], byte[]> producer, FeedRecord r) {
        producer.send(
                new ProducerRecord<>(
                        r.topic(),
                        r.key().getBytes(StandardCharsets.UTF_8),
                        r.json().getBytes(StandardCharsets.UTF_8)));
    }

    /** Produces the next {@code count} records as fast as Kafka takes them. */
    /**
     * Produces one record per {@code stepMillis} of wall-clock time until {@code stop} says so,
     * counting them in {@code produced}.
     */
    public void producePaced(String bootstrapServers, BooleanSupplier stop, AtomicLong produced)
            throws InterruptedException {
        long started = System.nanoTime();
        try (Producer<byte[], byte[]> producer =
                new KafkaProducer<>(producerProperties(bootstrapServers))) {
            while (!stop.getAsBoolean()) {
                long due =
                        started
                                + TimeUnit.MILLISECONDS.toNanos(
                                        produced.get() * options.stepMillis());
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    // The feed's own thread, pacing a synthetic source; not Flink code.
                    TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
                    continue;
                }
                send(producer, next());
                produced.incrementAndGet();
            }
            producer.flush();
        }
    }
}
