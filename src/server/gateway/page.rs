//! The page with charts: `GET /` serves a static page (HTML, one script, one stylesheet,
//! compiled into the binary so it works offline and needs no build step) that calls the
//! HTTP/JSON routes of this same server from the browser. The files carry no data: every
//! number on the page comes from a route, through the same stack as any other call
//! (authentication included: the page sends the bearer token the user types in).
//!
//! The charts are SVG drawn by the script itself (no chart library to vendor and pin).

use super::{Body, answer};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};

/// Each asset: its path, media type and content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("page/index.html"),
    ),
    (
        "/page/app.js",
        "text/javascript; charset=utf-8",
        include_str!("page/app.js"),
    ),
    (
        "/page/charts.js",
        "text/javascript; charset=utf-8",
        include_str!("page/charts.js"),
    ),
    (
        "/page/style.css",
        "text/css; charset=utf-8",
        include_str!("page/style.css"),
    ),
];

/// Only the page's own files may load or be called: no inline script, nothing from elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data: blob:; form-action 'none'; frame-ancestors 'none'; \
    base-uri 'none'";

/// Whether `path` is one of the page's files (which answer `GET` and `HEAD` only).
pub(super) fn is_asset(path: &str) -> bool {
    ASSETS.iter().any(|(p, _, _)| *p == path)
}

/// The answer to `req` when it asks for one of the page's files (`GET` or `HEAD`).
pub(super) fn serve(req: &Request<Body>) -> Option<Response<Body>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return None;
    }
    let path = req.uri().path();
    let &(_, content_type, text) = ASSETS.iter().find(|(p, _, _)| *p == path)?;
    let body = if req.method() == Method::HEAD {
        Vec::new()
    } else {
        text.as_bytes().to_vec()
    };
    let mut resp = answer(StatusCode::OK, content_type, body);
    let headers = resp.headers_mut();
    // A HEAD answer says how long the GET's body would be.
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(resp)
}
