package local.inferrer.registry;

import java.util.List;

import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;

/**
 * Stands in for the one bean of Apicurio's config-index extension, whose build-time
 * half is not on Maven Central.
 *
 * <p>That extension lists, at build time, every {@code @Dynamic} config property (the
 * settings an admin may change at run time through {@code /apis/registry/v2/admin/config}).
 * The local registry takes its settings from {@code -D} flags and environment variables
 * only, so the list is empty: no property is editable at run time, and each one keeps
 * the value the JVM was started with (or its default).
 */
public class DynamicConfigPropertyListProducer {

    @Produces
    @Singleton
    DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(List.of());
    }
}
