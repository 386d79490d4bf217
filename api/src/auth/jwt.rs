//! Access tokens (api.md §1.8): HS256 JWTs with the claims `userId`, `email`, `iat`,
//! `exp`, interchangeable with the previous backend's tokens. Tokens issued by this
//! service also name their session (`sid`, a row of `sessions`), so they can be ended
//! before they expire; the previous backend's tokens have none.
//!
//! `jsonwebtoken` is built without a crypto backend (its two backends bring RSA, ECDSA
//! and EdDSA along); [`HS256_ONLY`] supplies HMAC-SHA256 from `hmac` + `sha2` and
//! refuses every other algorithm.

use std::{sync::Once, time::Duration};

use hmac::{KeyInit, Mac};
use jsonwebtoken::{
    Algorithm, DecodingKey, DecodingKeyKind, EncodingKey, Header, Validation,
    crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils},
    errors::{ErrorKind, new_error},
    signature::{self, Signer, Verifier},
};
use serde::{Deserialize, Serialize};

/// Clock skew tolerated on `exp`.
const LEEWAY_SECONDS: u64 = 30;

/// The token payload. Extra claims in incoming tokens are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "userId")]
    pub user_id: String,
    /// The email when the token was issued; informational only.
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub iat: i64,
    pub exp: i64,
    /// The session this token belongs to; absent in the previous backend's tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Why a token was refused. [`TokenError::Expired`] is worth telling the client apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("invalid token")]
    Invalid,
}

/// Signs a token for `user_id` valid for `expires_in` from now, without a session:
/// the shape of the previous backend's tokens.
pub fn issue(
    secret: &str,
    user_id: &str,
    email: &str,
    expires_in: Duration,
) -> Result<String, jsonwebtoken::errors::Error> {
    sign(secret, claims(user_id, email, None, expires_in))
}

/// Signs a token of session `session_id`; returns it with its claims (`exp` is the
/// session's end).
pub fn issue_for_session(
    secret: &str,
    user_id: &str,
    email: &str,
    session_id: &str,
    expires_in: Duration,
) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
    let claims = claims(user_id, email, Some(session_id), expires_in);
    Ok((sign(secret, claims.clone())?, claims))
}

fn claims(user_id: &str, email: &str, session_id: Option<&str>, expires_in: Duration) -> Claims {
    let iat = chrono::Utc::now().timestamp();
    let lifetime = i64::try_from(expires_in.as_secs()).unwrap_or(i64::MAX);
    Claims {
        user_id: user_id.to_owned(),
        email: email.to_owned(),
        iat,
        exp: iat.saturating_add(lifetime),
        sid: session_id.map(str::to_owned),
    }
}

fn sign(secret: &str, claims: Claims) -> Result<String, jsonwebtoken::errors::Error> {
    install_provider();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

/// Checks signature, algorithm (HS256 only; `none` included in what is refused) and
/// expiry (required, 30 s leeway), and returns the claims.
pub fn verify(secret: &str, token: &str) -> Result<Claims, TokenError> {
    install_provider();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_exp = true;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|err| match err.kind() {
        ErrorKind::ExpiredSignature => TokenError::Expired,
        _ => TokenError::Invalid,
    })
}

fn install_provider() {
    static INSTALL: Once = Once::new();
    // Fails only if a provider is already installed, which is just as good.
    INSTALL.call_once(|| {
        let _ = HS256_ONLY.install_default();
    });
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The process-wide `jsonwebtoken` backend: HS256 and nothing else.
static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: |alg, key| {
        require_hs256(*alg)?;
        Ok(Box::new(Hs256(hmac_for(key.as_bytes())?)))
    },
    verifier_factory: |alg, key| {
        require_hs256(*alg)?;
        match key.kind() {
            DecodingKeyKind::SecretOrDer(secret) => Ok(Box::new(Hs256(hmac_for(secret)?))),
            DecodingKeyKind::RsaModulusExponent { .. } => {
                Err(new_error(ErrorKind::InvalidKeyFormat))
            }
        }
    },
    key_utils: KeyUtils::new_unimplemented(),
};

fn require_hs256(alg: Algorithm) -> jsonwebtoken::errors::Result<()> {
    match alg {
        Algorithm::HS256 => Ok(()),
        _ => Err(new_error(ErrorKind::InvalidAlgorithm)),
    }
}

fn hmac_for(secret: &[u8]) -> jsonwebtoken::errors::Result<HmacSha256> {
    HmacSha256::new_from_slice(secret).map_err(|_| new_error(ErrorKind::InvalidKeyFormat))
}

struct Hs256(HmacSha256);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        // Constant-time comparison.
        mac.verify_slice(signature)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "unit-test-secret-that-is-at-least-32-chars";

    #[test]
    fn issued_tokens_verify() {
        let token = issue(SECRET, "cuser", "a@b.co", Duration::from_secs(60)).unwrap();
        let claims = verify(SECRET, &token).unwrap();
        assert_eq!(claims.user_id, "cuser");
        assert_eq!(claims.email, "a@b.co");
        assert_eq!(claims.exp - claims.iat, 60);
        assert_eq!(
            verify("another-secret-that-is-32-characters-long", &token),
            Err(TokenError::Invalid)
        );
    }

    /// A token signed by the Node `jsonwebtoken` package (the previous backend) with
    /// the claims it used, `exp` in 2100.
    #[test]
    fn tokens_of_the_previous_backend_verify() {
        let token = issue_raw(
            r#"{"userId":"cm3k9u1xz0000qz8h7f3a2b1c","email":"dewi@example.com","iat":1700000000,"exp":4102444800}"#,
        );
        let claims = verify(SECRET, &token).unwrap();
        assert_eq!(claims.user_id, "cm3k9u1xz0000qz8h7f3a2b1c");
        assert_eq!(claims.sid, None);
    }

    #[test]
    fn session_tokens_name_their_session() {
        let (token, claims) =
            issue_for_session(SECRET, "u", "a@b.co", "csession", Duration::from_secs(60)).unwrap();
        assert_eq!(claims.sid.as_deref(), Some("csession"));
        assert_eq!(verify(SECRET, &token).unwrap(), claims);
    }

    #[test]
    fn expiry_is_required_and_has_30_seconds_leeway() {
        let now = chrono::Utc::now().timestamp();
        let no_exp = issue_raw(r#"{"userId":"u","email":"e","iat":1}"#);
        assert_eq!(verify(SECRET, &no_exp), Err(TokenError::Invalid));
        let within = issue_raw(&format!(r#"{{"userId":"u","exp":{}}}"#, now - 10));
        assert!(verify(SECRET, &within).is_ok());
        let past = issue_raw(&format!(r#"{{"userId":"u","exp":{}}}"#, now - 60));
        assert_eq!(verify(SECRET, &past), Err(TokenError::Expired));
    }

    /// Builds `header.payload.signature` by hand, as another implementation would.
    fn issue_raw(payload: &str) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let message = format!(
            "{}.{}",
            b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64.encode(payload)
        );
        let mut mac = HmacSha256::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(message.as_bytes());
        format!("{message}.{}", b64.encode(mac.finalize().into_bytes()))
    }
}
