/*
 * Licensed under the Apache License, Version 2.0.
 */
package keystone.nexus.connect.s3;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Writes each record value unchanged as one line of a gzip JSON-lines object per topic partition.
 *
 * <p>Offsets are committed only up to the last record that is in S3, so a crash or rebalance replays
 * the rest: delivery is at least once, and consumers deduplicate by event id. Every object gets a key of its own
 * (a random object id in it), so nothing, neither a replay nor a later lifetime of the topic, overwrites an object;
 * only a retried upload writes the same key again, with the same bytes.
 */
public final class S3SinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(S3SinkTask.class);
    private static final long RETRY_BACKOFF_MS = 1_000L;

    private final Clock clock;
    private final Map<TopicPartition, PartitionBuffer> buffers = new HashMap<>();
    // The offset after the last record in S3, per partition; what preCommit may commit.
    private final Map<TopicPartition, Long> uploadedUpTo = new HashMap<>();
    // The offset after the last buffered record: a redelivered batch skips what is already buffered.
    private final Map<TopicPartition, Long> nextExpected = new HashMap<>();
    private S3SinkConfig config;
    private KeyTemplate keys;
    private S3Client s3;

    public S3SinkTask() {
        this(Clock.systemUTC());
    }

    S3SinkTask(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String version() {
        return S3SinkConnector.pluginVersion();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new S3SinkConfig(props);
        keys = config.keyTemplate();
        s3 = S3Clients.create(config);
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            buffers.put(partition, new PartitionBuffer());
            uploadedUpTo.remove(partition);
            nextExpected.remove(partition);
        }
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // What was not uploaded is not committed: the partition's next owner reads it again.
        for (TopicPartition partition : partitions) {
            buffers.remove(partition);
            uploadedUpTo.remove(partition);
            nextExpected.remove(partition);
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        retrySealed();
        for (SinkRecord record : records) {
            TopicPartition partition = new TopicPartition(record.originalTopic(), record.originalKafkaPartition());
            long offset = record.originalKafkaOffset();
            Long expected = nextExpected.get(partition);
            if (expected != null && offset < expected) {
                continue;
            }
            PartitionBuffer buffer = buffers.computeIfAbsent(partition, p -> new PartitionBuffer());
            buffer.append(offset, lineOf(record, partition, offset), clock.millis());
            nextExpected.put(partition, offset + 1);
            if (buffer.records() >= config.maxRecords()) {
                sealAndUpload(partition, buffer);
            }
        }
        uploadDue();
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        try {
            retrySealed();
            uploadDue();
        } catch (RetriableException e) {
            LOG.warn("Not all due objects could be written; their offsets are not committed yet: {}", e.getMessage());
        }
        Map<TopicPartition, OffsetAndMetadata> committable = new HashMap<>();
        for (Map.Entry<TopicPartition, PartitionBuffer> entry : buffers.entrySet()) {
            TopicPartition partition = entry.getKey();
            if (entry.getValue().isEmpty() && currentOffsets.containsKey(partition)) {
                committable.put(partition, currentOffsets.get(partition));
            } else if (uploadedUpTo.containsKey(partition)) {
                committable.put(partition, new OffsetAndMetadata(uploadedUpTo.get(partition)));
            }
        }
        return committable;
    }

    @Override
    public void stop() {
        buffers.clear();
        if (s3 != null) {
            s3.close();
        }
    }

    private static byte[] lineOf(SinkRecord record, TopicPartition partition, long offset) {
        Object value = record.value();
        byte[] line;
        if (value instanceof byte[] bytes) {
            line = bytes;
        } else if (value instanceof String text) {
            line = text.getBytes(StandardCharsets.UTF_8);
        } else if (value == null) {
            throw new DataException("Record " + partition + "@" + offset + " has a null value (tombstone): the sink"
                + " writes one JSON line per value and has no line for it; do not send tombstones to this topic.");
        } else {
            throw new DataException("Record " + partition + "@" + offset + " has a " + value.getClass().getName()
                + " value; set value.converter to org.apache.kafka.connect.converters.ByteArrayConverter so that"
                + " values are written unchanged.");
        }
        for (byte b : line) {
            if (b == '\n') {
                throw new DataException("Record " + partition + "@" + offset + " contains a line break; the sink"
                    + " writes JSON lines, so each value must be single-line JSON.");
            }
        }
        return line;
    }

    private void uploadDue() {
        long now = clock.millis();
        for (Map.Entry<TopicPartition, PartitionBuffer> entry : buffers.entrySet()) {
            PartitionBuffer buffer = entry.getValue();
            if (!buffer.isEmpty() && !buffer.isSealed() && now - buffer.openedAtMs() >= config.rotateIntervalMs()) {
                sealAndUpload(entry.getKey(), buffer);
            }
        }
    }

    private void retrySealed() {
        for (Map.Entry<TopicPartition, PartitionBuffer> entry : buffers.entrySet()) {
            if (entry.getValue().isSealed()) {
                upload(entry.getKey(), entry.getValue());
            }
        }
    }

    private void sealAndUpload(TopicPartition partition, PartitionBuffer buffer) {
        buffer.seal(keys.render(partition.topic(), partition.partition(), buffer.startOffset(), KeyTemplate.newObjectId(),
            clock.instant()));
        upload(partition, buffer);
    }

    private void upload(TopicPartition partition, PartitionBuffer buffer) {
        String key = buffer.sealedKey();
        try {
            S3Clients.put(s3, config.bucket(), key, buffer.sealedBody());
        } catch (SdkException e) {
            context.timeout(RETRY_BACKOFF_MS);
            throw new RetriableException("Could not write s3://" + config.bucket() + "/" + key + " (" + buffer.records()
                + " records of " + partition + " from offset " + buffer.startOffset() + "); retrying: "
                + e.getMessage(), e);
        }
        LOG.info("Wrote s3://{}/{}: {} records of {} at offsets {}..{}", config.bucket(), key, buffer.records(),
            partition, buffer.startOffset(), buffer.endOffset() - 1);
        uploadedUpTo.put(partition, buffer.endOffset());
        buffer.clear();
    }
}
