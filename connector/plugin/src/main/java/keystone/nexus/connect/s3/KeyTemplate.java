/*
 * Licensed under the Apache License, Version 2.0.
 */
package keystone.nexus.connect.s3;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigDef;

/**
 * Renders object keys such as
 * streaming/{topic}/dt={written:yyyy-MM-dd}/hour={written:HH}/{topic}-{partition}-{start_offset}-{object_id}.jsonl.gz.
 * {written:PATTERN} is the UTC time the object is written, formatted by a java.time DateTimeFormatter pattern: the
 * partition layout comes with the configuration (generated from contracts/layout.py), not from this code.
 * {object_id} is random per object: offsets start at 0 again in a later lifetime of a topic, so without it a later
 * object could take the key of an earlier one written in the same hour and hide its records.
 */
public final class KeyTemplate {

    static final List<String> PLACEHOLDERS =
        List.of("topic", "partition", "start_offset", "object_id", "written:<pattern>");
    // Without these, two objects of different partitions, offsets or lifetimes of a topic could get the same key.
    private static final List<String> REQUIRED = List.of("topic", "partition", "start_offset", "object_id");
    private static final String WRITTEN = "written:";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");

    static final ConfigDef.Validator VALIDATOR = (name, value) -> {
        if (value == null) {
            return;
        }
        String template = (String) value;
        Matcher matcher = PLACEHOLDER.matcher(template);
        Set<String> seen = new HashSet<>();
        while (matcher.find()) {
            String placeholder = matcher.group(1);
            if (placeholder.startsWith(WRITTEN)) {
                try {
                    DateTimeFormatter.ofPattern(placeholder.substring(WRITTEN.length()));
                } catch (IllegalArgumentException e) {
                    throw S3SinkConfig.invalid(name, value, "{" + placeholder + "}: " + e.getMessage());
                }
                continue;
            }
            if (!PLACEHOLDERS.contains(placeholder)) {
                throw S3SinkConfig.invalid(name, value,
                    "unknown placeholder {" + placeholder + "}; known: " + PLACEHOLDERS);
            }
            seen.add(placeholder);
        }
        for (String required : REQUIRED) {
            if (!seen.contains(required)) {
                throw S3SinkConfig.invalid(name, value, "must contain {" + required + "} so that keys never collide");
            }
        }
        if (template.startsWith("/")) {
            throw S3SinkConfig.invalid(name, value, "an S3 key must not start with '/'");
        }
    };

    private final String template;
    private final Map<String, DateTimeFormatter> formatters = new HashMap<>();

    KeyTemplate(String template) {
        this.template = template;
    }

    private DateTimeFormatter formatter(String pattern) {
        return formatters.computeIfAbsent(pattern, p -> DateTimeFormatter.ofPattern(p).withZone(ZoneOffset.UTC));
    }

    /** A fresh random object id: a random (version 4) UUID's bits as 32 hex digits. */
    static String newObjectId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    String render(String topic, int partition, long startOffset, String objectId, Instant writtenAt) {
        Matcher matcher = PLACEHOLDER.matcher(template);
        StringBuilder key = new StringBuilder();
        while (matcher.find()) {
            String placeholder = matcher.group(1);
            String value = switch (placeholder) {
                case "topic" -> topic;
                case "partition" -> Integer.toString(partition);
                case "start_offset" -> String.format("%020d", startOffset);
                case "object_id" -> objectId;
                default -> {
                    if (!placeholder.startsWith(WRITTEN)) {
                        throw new IllegalStateException("validated template has {" + placeholder + "}");
                    }
                    yield formatter(placeholder.substring(WRITTEN.length())).format(writtenAt);
                }
            };
            matcher.appendReplacement(key, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(key);
        return key.toString();
    }
}
