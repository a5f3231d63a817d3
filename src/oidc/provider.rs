//! OIDC as the release's [`AuthProvider`]: before the executor starts, every package that will
//! be uploaded gets its exchange (all at once, so every failure is reported together and nothing
//! is uploaded); during the release, each upload asks again and gets the held token, or a fresh
//! exchange when it is about to expire.

use std::sync::Arc;

use super::broker::{AuthMethod, AuthPlan, Broker, PreflightError, Target};
use super::{AuthMode, CiEnv, OidcSettings};
use crate::registry::{NpmConfig, RegistryClient};
use crate::release::auth::{AuthError, AuthGrant, AuthKind, AuthProvider, BoxFuture, NpmrcAuth};
use crate::workspace::Workspace;

/// OIDC for the packages the plan gave it, the configured token for the rest.
pub struct OidcAuth {
    plan: AuthPlan,
    fallback: NpmrcAuth,
    provider: String,
}

impl OidcAuth {
    pub fn plan(&self) -> &AuthPlan {
        &self.plan
    }
}

impl AuthProvider for OidcAuth {
    fn token_for<'a>(
        &'a self,
        pkg: &'a str,
        registry: &'a url::Url,
    ) -> BoxFuture<'a, Result<AuthGrant, AuthError>> {
        Box::pin(async move {
            match self.plan.method_of(pkg, registry) {
                Some(AuthMethod::Oidc) => match self.plan.oidc_token(pkg, registry).await {
                    Ok(Some(token)) => Ok(AuthGrant {
                        credential: crate::registry::Credential::Token(token),
                        kind: AuthKind::Oidc,
                        source: format!("OIDC trusted publishing ({})", self.provider),
                        // npm's exchanged tokens can publish, not move dist-tags.
                        can_write_dist_tags: false,
                    }),
                    Ok(None) => self.fallback.token_for(pkg, registry).await,
                    Err(failure) => Err(AuthError {
                        package: pkg.to_string(),
                        registry: crate::registry::redact(registry.as_str()),
                        hint: failure.to_string(),
                    }),
                },
                _ => {
                    let note = self.plan.note_of(pkg, registry).map(str::to_string);
                    let mut grant = self.fallback.token_for(pkg, registry).await?;
                    if let Some(n) = note {
                        grant.source = format!("{} — {n}", grant.source);
                    }
                    Ok(grant)
                }
            }
        })
    }
}

/// Decides the release's auth. `Ok(None)`: token mode (or auto outside CI) — the caller keeps
/// plain `.npmrc` auth. `Ok(Some)`: OIDC was exchanged for every package that will be uploaded
/// (versions already on their registry need no credential). `Err`: at least one package cannot
/// publish; the error lists every one with its diagnostic.
pub async fn prepare(
    ws: &Workspace,
    npm: &NpmConfig,
    client: &RegistryClient,
    settings: OidcSettings,
    env: CiEnv,
) -> Result<Option<OidcAuth>, PreflightError> {
    if settings.mode == AuthMode::Token {
        return Ok(None);
    }
    let provider = env.provider(settings.buildkite);
    if settings.mode == AuthMode::Auto && provider.is_none() {
        return Ok(None);
    }
    let (packages, _) = crate::release::publishable(ws);
    let mut targets = Vec::new();
    for p in &packages {
        let manifest: serde_json::Value = std::fs::read_to_string(&p.manifest_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        // A bad registry setting is reported by the release's own preflight.
        let Ok(registry) = npm.registry_for(&p.name, manifest.get("publishConfig")) else {
            continue;
        };
        let version = p.version.clone().unwrap_or_default();
        let cred = npm.credential_for(&registry);
        let published = client
            .packument(&registry, &p.name, cred.as_ref())
            .await
            .ok()
            .flatten()
            .is_some_and(|pk| pk.versions.contains_key(&version));
        if !published {
            targets.push(Target::new(p.name.clone(), registry));
        }
    }
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("relay/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default();
    let broker = Arc::new(Broker::new(http, env, settings));
    let configured = |t: &Target| {
        npm.credential_for(&t.registry).map(|c| match c {
            crate::registry::Credential::Token(s) | crate::registry::Credential::Basic(s) => s,
        })
    };
    let plan = AuthPlan::resolve(broker, &targets, configured).await?;
    Ok(Some(OidcAuth {
        plan,
        fallback: NpmrcAuth {
            config: npm.clone(),
        },
        provider: provider.map(|p| p.to_string()).unwrap_or_default(),
    }))
}
