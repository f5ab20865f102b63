package local.inferrer.registry;

import java.util.Set;

import javax.annotation.Priority;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Alternative;

import io.quarkus.arc.Unremovable;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.BasicAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * HTTP basic authentication against Quarkus' embedded user realm.
 *
 * <p>Apicurio 2.4.2 replaces Quarkus' authentication with its own mechanism, which knows
 * only OIDC (its "basic auth" trades the password for a token at an OIDC server) and,
 * with OIDC off, fails when asked for a challenge. This one takes precedence over it:
 * it reads {@code Authorization: Basic} and answers a 401 challenge itself. Whether a
 * login is required at all is {@link RequireAuthenticationPolicy}'s decision.
 */
@Alternative
@Priority(10)
@ApplicationScoped
@Unremovable
public class BasicAuthentication implements HttpAuthenticationMechanism {

    private final BasicAuthenticationMechanism basic =
            new BasicAuthenticationMechanism("inferrer-registry", false);

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identities) {
        return basic.authenticate(context, identities);
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return basic.getChallenge(context);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return basic.getCredentialTypes();
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return basic.getCredentialTransport(context);
    }

    @Override
    public int getPriority() {
        // Ahead of Apicurio's mechanism, whatever order the container lists them in.
        return DEFAULT_PRIORITY + 1000;
    }
}
