package local.inferrer.registry;

import javax.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.arc.Unremovable;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * Optional HTTP basic auth for the local registry, switched on at run time.
 *
 * <p>With {@code -Dinferrer.registry.require-auth=true} every request except the health
 * checks needs a user of Quarkus' embedded realm
 * ({@code -Dquarkus.security.users.embedded.users.NAME=PASSWORD}), sent with HTTP basic
 * auth ({@link BasicAuthentication}); an anonymous request or a wrong password gets a
 * 401. Without the flag it permits everything and the registry is open. (Quarkus' own
 * path permissions would do the same, but they are fixed at build time in this version.)
 */
@Singleton
@Unremovable
public class RequireAuthenticationPolicy implements HttpSecurityPolicy {

    @ConfigProperty(name = "inferrer.registry.require-auth", defaultValue = "false")
    boolean required;

    @Override
    public Uni<CheckResult> checkPermission(RoutingContext request, Uni<SecurityIdentity> identity,
            AuthorizationRequestContext context) {
        if (!required || request.normalizedPath().startsWith("/health")) {
            return Uni.createFrom().item(CheckResult.PERMIT);
        }
        return identity.map(user -> user.isAnonymous() ? CheckResult.DENY : CheckResult.PERMIT);
    }
}
