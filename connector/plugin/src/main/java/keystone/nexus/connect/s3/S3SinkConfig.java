/*
 * Licensed under the Apache License, Version 2.0.
 */
package keystone.nexus.connect.s3;

import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** The sink's settings; connector/s3_sink.py renders them, for the local worker and MSK Connect alike. */
public final class S3SinkConfig extends AbstractConfig {

    public static final String BUCKET = "s3.bucket.name";
    public static final String REGION = "s3.region";
    public static final String ENDPOINT = "s3.endpoint.url";
    public static final String PATH_STYLE = "s3.path.style.access";
    public static final String KEY_TEMPLATE = "s3.key.template";
    public static final String MAX_RECORDS = "file.max.records";
    public static final String ROTATE_INTERVAL_MS = "file.rotate.interval.ms";

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
        .define(BUCKET, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
            "Bucket the objects are written to.")
        .define(REGION, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
            "AWS region of the bucket.")
        .define(ENDPOINT, Type.STRING, "", Importance.LOW,
            "S3 endpoint URL; empty for AWS itself, set for an S3-compatible server such as a local one.")
        .define(PATH_STYLE, Type.BOOLEAN, false, Importance.LOW,
            "Address the bucket in the path rather than the host name (needed by most local S3 servers).")
        .define(KEY_TEMPLATE, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, KeyTemplate.VALIDATOR, Importance.HIGH,
            "Object key with the placeholders " + KeyTemplate.PLACEHOLDERS + "; {written:PATTERN} is the UTC time"
                + " the object is written (a java.time DateTimeFormatter pattern); {start_offset} is zero-padded to 20 digits;"
                + " {object_id} is random per object (32 hex digits), so that no object ever overwrites another.")
        .define(MAX_RECORDS, Type.INT, 10_000, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
            "Records per object at most; a full object is written at once.")
        .define(ROTATE_INTERVAL_MS, Type.LONG, 60_000L, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
            "An object is written at the latest this long after its first record arrived.");

    public S3SinkConfig(Map<String, String> props) {
        super(CONFIG_DEF, props);
    }

    public String bucket() {
        return getString(BUCKET);
    }

    public String region() {
        return getString(REGION);
    }

    public Optional<String> endpoint() {
        String endpoint = getString(ENDPOINT).trim();
        return endpoint.isEmpty() ? Optional.empty() : Optional.of(endpoint);
    }

    public boolean pathStyle() {
        return getBoolean(PATH_STYLE);
    }

    public KeyTemplate keyTemplate() {
        return new KeyTemplate(getString(KEY_TEMPLATE));
    }

    public int maxRecords() {
        return getInt(MAX_RECORDS);
    }

    public long rotateIntervalMs() {
        return getLong(ROTATE_INTERVAL_MS);
    }

    static ConfigException invalid(String name, Object value, String message) {
        return new ConfigException(name, value, message);
    }
}
