//! Where publish credentials come from. The release asks an [`AuthProvider`] once per package
//! during preflight; the answer (a credential plus a description of its source) is recorded in
//! the summary and the journal (the description only). Token auth from `.npmrc` is
//! [`NpmrcAuth`]; OIDC trusted publishing plugs in as another provider (or wraps this one as
//! its fallback).

use std::future::Future;
use std::pin::Pin;

use url::Url;

use crate::registry::{Credential, NpmConfig};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which mechanism produced a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// `_authToken` / `_auth` from `.npmrc` or `npm_config_*`.
    Npmrc,
    /// `NODE_AUTH_TOKEN` used directly.
    NodeAuthToken,
    /// A package-scoped token from an OIDC exchange.
    Oidc,
}

/// The per-package auth decision.
#[derive(Debug, Clone)]
pub struct AuthGrant {
    pub credential: Credential,
    pub kind: AuthKind,
    /// Human description, e.g. `token for //127.0.0.1:4873/ from .npmrc` (never the token).
    pub source: String,
    /// OIDC-exchanged tokens cannot change dist-tags (npm-registry.md §8.6); the promote
    /// strategy needs a credential that can.
    pub can_write_dist_tags: bool,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{package}: no credential for {registry}: {hint}")]
pub struct AuthError {
    pub package: String,
    pub registry: String,
    pub hint: String,
}

/// Supplies a credential for publishing `pkg` to `registry`.
pub trait AuthProvider: Send + Sync {
    fn token_for<'a>(
        &'a self,
        pkg: &'a str,
        registry: &'a Url,
    ) -> BoxFuture<'a, Result<AuthGrant, AuthError>>;
}

/// Token auth exactly as npm resolves it from `.npmrc` layers and the environment.
pub struct NpmrcAuth {
    pub config: NpmConfig,
}

impl AuthProvider for NpmrcAuth {
    fn token_for<'a>(
        &'a self,
        pkg: &'a str,
        registry: &'a Url,
    ) -> BoxFuture<'a, Result<AuthGrant, AuthError>> {
        Box::pin(async move {
            let dart = crate::registry::nerf_dart(registry);
            match self.config.credential_for(registry) {
                Some(credential) => {
                    let from_env = self.config.credential_for_without_env(registry).is_none();
                    Ok(AuthGrant {
                        credential,
                        kind: if from_env {
                            AuthKind::NodeAuthToken
                        } else {
                            AuthKind::Npmrc
                        },
                        source: if from_env {
                            format!("NODE_AUTH_TOKEN for {dart}")
                        } else {
                            format!("token for {dart} from npm config")
                        },
                        can_write_dist_tags: true,
                    })
                }
                None => Err(AuthError {
                    package: pkg.into(),
                    registry: registry.to_string(),
                    hint: self.config.missing_credential_hint(registry),
                }),
            }
        })
    }
}
