//! Optional bearer-token authentication for the tariff services, compared in constant time so
//! response timing does not reveal how much of a guessed token was right.

use std::sync::Arc;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// Requires `authorization: Bearer <token>` when a token is configured; passes everything
/// when not. The scheme name is matched without regard to case (RFC 7235, section 2.1:
/// "bearer" and "BEARER" are the same scheme); the token itself exactly.
#[derive(Clone, Debug)]
pub(crate) struct BearerAuth {
    expected: Option<Arc<[u8]>>,
}

impl BearerAuth {
    /// Checks against `token`, or not at all when `None`.
    pub(crate) fn new(token: Option<&str>) -> Self {
        BearerAuth {
            expected: token.map(|t| Arc::from(t.as_bytes())),
        }
    }
}

/// The token of an `authorization` header value using the Bearer scheme, if it does.
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer ";
    let (scheme, token) = value.split_at_checked(SCHEME.len())?;
    scheme.eq_ignore_ascii_case(SCHEME).then_some(token)
}

/// Equal in time that depends only on the lengths, not on where the bytes differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    diff == 0
}

impl BearerAuth {
    /// Whether `metadata` carries the token (always, when none is configured).
    pub(crate) fn check(&self, metadata: &tonic::metadata::MetadataMap) -> Result<(), Status> {
        let Some(expected) = &self.expected else {
            return Ok(());
        };
        match metadata.get("authorization") {
            Some(v)
                if bearer_token(v.as_bytes()).is_some_and(|t| constant_time_eq(t, expected)) =>
            {
                Ok(())
            }
            Some(_) => Err(Status::unauthenticated("invalid bearer token")),
            None => Err(Status::unauthenticated(
                "missing bearer token: send the header `authorization: Bearer <token>`",
            )),
        }
    }
}

impl Interceptor for BearerAuth {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        self.check(req.metadata()).map(|()| req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_whole_values() {
        assert!(constant_time_eq(b"Bearer abc", b"Bearer abc"));
        assert!(!constant_time_eq(b"Bearer abd", b"Bearer abc"));
        assert!(!constant_time_eq(b"Bearer ab", b"Bearer abc"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_is_not() {
        assert_eq!(bearer_token(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"BEARER abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Basic abc"), None);
        assert_eq!(bearer_token(b"Bearer"), None);
        let mut auth = BearerAuth::new(Some("abc"));
        let with = |v: &str| {
            let mut r = Request::new(());
            r.metadata_mut().insert("authorization", v.parse().unwrap());
            r
        };
        assert!(auth.call(with("bEaReR abc")).is_ok());
        assert!(auth.call(with("Bearer ABC")).is_err());
        assert!(auth.call(with("Bearer  abc")).is_err());
    }
}
