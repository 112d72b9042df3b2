/*
 * Licensed under the Apache License, Version 2.0.
 */
package keystone.nexus.connect.s3;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/** Kafka Connect sink writing topic records to S3 as gzip JSON lines under an hourly key layout. */
public final class S3SinkConnector extends SinkConnector {

    private Map<String, String> props;

    static String pluginVersion() {
        String version = S3SinkConnector.class.getPackage().getImplementationVersion();
        return version == null ? "unknown" : version;
    }

    @Override
    public String version() {
        return pluginVersion();
    }

    @Override
    public void start(Map<String, String> props) {
        new S3SinkConfig(props);
        this.props = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return S3SinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return Collections.nCopies(maxTasks, props);
    }

    @Override
    public void stop() {
        props = null;
    }

    @Override
    public ConfigDef config() {
        return S3SinkConfig.CONFIG_DEF;
    }
}
