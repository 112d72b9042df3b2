/*
 * Licensed under the Apache License, Version 2.0.
 */
package keystone.nexus.connect.s3;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigDef;

/** Renders object keys such as streaming/{topic}/dt={dt}/hour={hour}/{topic}-{partition}-{start_offset}.jsonl.gz. */
public final class KeyTemplate {

    static final List<String> PLACEHOLDERS = List.of("topic", "partition", "start_offset", "dt", "hour");
    // Without these three, two objects of different partitions or offsets could get the same key.
    private static final List<String> REQUIRED = List.of("topic", "partition", "start_offset");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("HH").withZone(ZoneOffset.UTC);

    static final ConfigDef.Validator VALIDATOR = (name, value) -> {
        if (value == null) {
            return;
        }
        String template = (String) value;
        Matcher matcher = PLACEHOLDER.matcher(template);
        Set<String> seen = new HashSet<>();
        while (matcher.find()) {
            String placeholder = matcher.group(1);
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

    KeyTemplate(String template) {
        this.template = template;
    }

    String render(String topic, int partition, long startOffset, Instant writtenAt) {
        Matcher matcher = PLACEHOLDER.matcher(template);
        StringBuilder key = new StringBuilder();
        while (matcher.find()) {
            String value = switch (matcher.group(1)) {
                case "topic" -> topic;
                case "partition" -> Integer.toString(partition);
                case "start_offset" -> String.format("%020d", startOffset);
                case "dt" -> DAY.format(writtenAt);
                case "hour" -> HOUR.format(writtenAt);
                default -> throw new IllegalStateException("validated template has {" + matcher.group(1) + "}");
            };
            matcher.appendReplacement(key, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(key);
        return key.toString();
    }
}
