/*
 * Licensed under the Apache License, Version 2.0.
 */
package keystone.nexus.connect.s3;

import java.net.URI;

import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/** The S3 client the sink uses: credentials from the default chain (role on MSK Connect, environment locally). */
final class S3Clients {

    private S3Clients() {
    }

    static S3Client create(S3SinkConfig config) {
        S3ClientBuilder builder = S3Client.builder()
            .region(Region.of(config.region()))
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .forcePathStyle(config.pathStyle())
            // Checksums only where S3 demands them: S3-compatible servers differ in the optional ones.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        config.endpoint().ifPresent(endpoint -> builder.endpointOverride(URI.create(endpoint)));
        return builder.build();
    }

    static void put(S3Client s3, String bucket, String key, byte[] body) {
        s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType("application/gzip").build(),
            RequestBody.fromBytes(body));
    }
}
