/*
 * Licensed under the Apache License, Version 2.0.
 */
package keystone.nexus.connect.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/**
 * The records of one topic partition not yet in S3, gzip-compressed as they arrive.
 * Open while it takes records; sealed (body and key fixed) once it is due, until the upload succeeds,
 * so a retried upload writes the very same object.
 */
final class PartitionBuffer {

    private ByteArrayOutputStream bytes;
    private GZIPOutputStream gzip;
    private long startOffset = -1;
    private long endOffset = -1;
    private int records;
    private long openedAtMs;
    private byte[] sealedBody;
    private String sealedKey;

    void append(long offset, byte[] line, long nowMs) {
        if (isSealed()) {
            throw new IllegalStateException("append to a sealed buffer");
        }
        try {
            if (records == 0) {
                bytes = new ByteArrayOutputStream();
                gzip = new GZIPOutputStream(bytes, 64 * 1024);
                startOffset = offset;
                openedAtMs = nowMs;
            }
            gzip.write(line);
            gzip.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        records++;
        endOffset = offset + 1;
    }

    void seal(String key) {
        try {
            gzip.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sealedBody = bytes.toByteArray();
        sealedKey = key;
        bytes = null;
        gzip = null;
    }

    void clear() {
        bytes = null;
        gzip = null;
        sealedBody = null;
        sealedKey = null;
        records = 0;
        startOffset = -1;
        endOffset = -1;
    }

    boolean isEmpty() {
        return records == 0;
    }

    boolean isSealed() {
        return sealedBody != null;
    }

    int records() {
        return records;
    }

    long startOffset() {
        return startOffset;
    }

    /** The offset after the last record in this buffer. */
    long endOffset() {
        return endOffset;
    }

    long openedAtMs() {
        return openedAtMs;
    }

    byte[] sealedBody() {
        return sealedBody;
    }

    String sealedKey() {
        return sealedKey;
    }
}
