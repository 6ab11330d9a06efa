//! HTTP/JSON beside gRPC on the same port: the routes the protos declare with
//! `google.api.http` (`POST /v1/impact:calculate`, `GET /v1/boms`, ...) take and return the
//! proto3 JSON form of their messages, the one grpcurl uses.
//!
//! The gateway is the outermost layer of the server: it turns a JSON call into the gRPC call
//! it stands for (the protobuf request in a gRPC frame, the caller's `authorization` and
//! `grpc-timeout` headers, its connection) and sends it down the same stack a gRPC client
//! reaches: admission and capacity, bearer authentication, budgets, deadlines and drain. So
//! nothing is reachable over HTTP that gRPC would refuse, and errors are the same statuses,
//! answered as JSON `google.rpc.Status` with the HTTP code Google's conventions give them.
//! A client that accepts `text/csv` (or the XLSX media type) gets `CalculateImpact` and
//! `CompareScenarios` results as the flat export (`calc --format csv|xlsx`). `GET /` and its
//! assets are the page with charts ([`page`]), static files that call these routes. A gRPC or
//! gRPC-Web call (reflection and health included) passes through untouched; any other HTTP
//! request no route takes is a JSON 404 (or 405 when its path takes another method).

mod codecs;
pub mod page;
pub mod routes;
mod status;

use super::telemetry;
use crate::catalog::{Catalogs, Kind};
use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

type Body = tonic::body::Body;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How much larger than its protobuf encoding a request's JSON may be: the gRPC stack then
/// enforces the protobuf limit itself; this only bounds what the gateway reads first.
const JSON_OVER_PROTOBUF: usize = 8;

/// Adds the gateway in front of a gRPC service stack.
#[derive(Clone)]
pub struct GatewayLayer {
    catalog: Arc<Catalogs>,
    max_request_bytes: usize,
}

impl GatewayLayer {
    /// A gateway reading request bodies up to `JSON_OVER_PROTOBUF` x `max_request_bytes`.
    pub fn new(catalog: Arc<Catalogs>, max_request_bytes: usize) -> Self {
        GatewayLayer {
            catalog,
            max_request_bytes,
        }
    }
}

impl<S> Layer<S> for GatewayLayer {
    type Service = Gateway<S>;

    fn layer(&self, inner: S) -> Gateway<S> {
        Gateway {
            inner,
            catalog: self.catalog.clone(),
            max_body: self.max_request_bytes.saturating_mul(JSON_OVER_PROTOBUF),
        }
    }
}

/// The gateway service (see the module docs).
#[derive(Clone)]
pub struct Gateway<S> {
    inner: S,
    catalog: Arc<Catalogs>,
    max_body: usize,
}

impl<S> Service<Request<Body>> for Gateway<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        if let Some(resp) = page::serve(&req) {
            return Box::pin(async move { Ok(resp) });
        }
        let Some((route, vars)) = routes::find(req.method().as_str(), req.uri().path()) else {
            if is_grpc(&req) {
                return Box::pin(self.inner.call(req));
            }
            let resp = no_route(&req);
            return Box::pin(async move { Ok(resp) });
        };
        // The ready service handles this call; a clone takes its place for the next one.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let (catalog, max_body) = (self.catalog.clone(), self.max_body);
        Box::pin(async move {
            let mut echoed = http::HeaderMap::new();
            let mut resp =
                match transcode(inner, &catalog, max_body, route, vars, req, &mut echoed).await? {
                    Ok(resp) | Err(resp) => resp,
                };
            // The call's request id and the replica that answered, as a gRPC client sees them.
            resp.headers_mut().extend(echoed);
            Ok(resp)
        })
    }
}

/// A finished HTTP answer: `Err` for an error the gateway itself found.
type Answer = Result<Response<Body>, Response<Body>>;

/// Runs the gRPC call `req` stands for through `inner` and answers in JSON (or CSV).
async fn transcode<S>(
    mut inner: S,
    catalog: &Catalogs,
    max_body: usize,
    route: routes::Route,
    vars: Vec<(&'static str, String)>,
    req: Request<Body>,
    echoed: &mut http::HeaderMap,
) -> Result<Answer, S::Error>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    let codec = match codecs::of(route.grpc_path) {
        Some(c) => c,
        None => return Ok(Err(error(tonic::Status::unimplemented(route.grpc_path)))),
    };
    let export = codec.export.zip(export_format(&req));
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, max_body).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(Err(error(tonic::Status::resource_exhausted(format!(
                "request body over {max_body} bytes, or unreadable"
            )))));
        }
    };
    let json = match routes::request_json(route, vars, parts.uri.query(), &body) {
        Ok(j) => j,
        Err(e) => return Ok(Err(error(tonic::Status::invalid_argument(e)))),
    };
    let message = match (codec.request)(json.clone()) {
        Ok(m) => m,
        Err(e) => return Ok(Err(error(tonic::Status::invalid_argument(e)))),
    };
    let resp = inner
        .call(grpc_request(route.grpc_path, parts, &message))
        .await?;
    for name in [telemetry::REQUEST_ID_HEADER, telemetry::INSTANCE_HEADER] {
        if let Some(v) = resp.headers().get(name) {
            echoed.insert(name, v.clone());
        }
    }
    let (message, status) = read_grpc(resp).await;
    if status.code() != tonic::Code::Ok {
        return Ok(Err(error(status)));
    }
    let (out, content_type) = match export {
        Some((rows, format)) => {
            // The rows describe the BOM version the calculation cites, not whatever the
            // request's id names by now.
            let mut json = json;
            let cited = codecs::cited_bom(route.grpc_path, &message);
            let refs = match (&cited, json.as_object_mut()) {
                (Some(reference), Some(fields)) => {
                    fields.remove("bom_id");
                    fields.insert("bomId".into(), reference.as_str().into());
                    vec![(Kind::Bom, reference.as_str())]
                }
                _ => Vec::new(),
            };
            let Ok(catalog) = catalog.pin(catalog.snapshot(), &refs).await else {
                let e = tonic::Status::unavailable("the catalog database cannot be reached; retry");
                return Ok(Err(error(e)));
            };
            (
                rows(&catalog, &json, &message)
                    .and_then(|rows| format.write(&rows).map_err(|e| e.0)),
                media_type(format),
            )
        }
        None => ((codec.response)(&message), "application/json"),
    };
    Ok(match out {
        Ok(b) => Ok(answer(StatusCode::OK, content_type, b)),
        Err(e) => Err(error(tonic::Status::internal(e))),
    })
}

/// Whether `req` is a gRPC call (gRPC and gRPC-Web say so in their content type): the only
/// calls that pass the gateway untouched.
fn is_grpc(req: &Request<Body>) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

/// The answer to an HTTP request no route takes: 405 with the methods the path takes, or 404.
fn no_route(req: &Request<Body>) -> Response<Body> {
    let (method, path) = (req.method().as_str(), req.uri().path());
    let allowed = if page::is_asset(path) {
        vec!["GET", "HEAD"]
    } else {
        routes::methods_of(path)
    };
    if allowed.is_empty() {
        return error(tonic::Status::not_found(format!(
            "no route for {method} {path}: the routes are listed in the README (and / is the page)"
        )));
    }
    let allow = allowed.join(", ");
    let mut resp = error(tonic::Status::unimplemented(format!(
        "{method} {path}: this route takes {allow}"
    )));
    *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    if let Ok(v) = HeaderValue::from_str(&allow) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

/// The media type of the XLSX export.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The export the client asked for with `Accept` (`text/csv` or the XLSX type), if any: the
/// first media type it lists that the route answers (JSON, `*/*` or an export; types with
/// `q=0` are refusals and skipped), so `application/json, text/csv` is JSON.
fn export_format(req: &Request<Body>) -> Option<crate::export::Format> {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter(|t| !refused(t))
        .find_map(|t| {
            let media = t
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match media.as_str() {
                "text/csv" => Some(Some(crate::export::Format::Csv)),
                XLSX => Some(Some(crate::export::Format::Xlsx)),
                "application/json" | "application/*" | "*/*" => Some(None),
                _ => None,
            }
        })
        .flatten()
}

/// Whether a media range of `Accept` carries `q=0` (the client refuses that type).
fn refused(range: &str) -> bool {
    range.split(';').skip(1).any(|p| {
        p.trim()
            .strip_prefix("q=")
            .and_then(|q| q.trim().parse::<f32>().ok())
            .is_some_and(|q| q == 0.0)
    })
}

fn media_type(format: crate::export::Format) -> &'static str {
    match format {
        crate::export::Format::Csv => "text/csv; charset=utf-8",
        crate::export::Format::Xlsx => XLSX,
    }
}

/// The gRPC request of `message` for method `path`, keeping the caller's connection (its
/// extensions: the admission layer counts streams per connection) and the headers the gRPC
/// stack reads: `authorization`, `grpc-timeout`, and the request id and trace context the
/// telemetry layer reads.
fn grpc_request(path: &str, parts: http::request::Parts, message: &[u8]) -> Request<Body> {
    let mut frame = BytesMut::with_capacity(5 + message.len());
    frame.put_u8(0);
    frame.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    frame.put_slice(message);
    let mut req = Request::new(Body::new(Full::new(frame.freeze())));
    *req.method_mut() = http::Method::POST;
    *req.uri_mut() = http::Uri::try_from(path).unwrap_or_default();
    *req.version_mut() = http::Version::HTTP_2;
    *req.extensions_mut() = parts.extensions;
    let headers = req.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
    let carried = [header::AUTHORIZATION.as_str(), "grpc-timeout"];
    for name in carried.into_iter().chain(telemetry::PROPAGATED_HEADERS) {
        if let Some(v) = parts.headers.get(name) {
            headers.insert(name, v.clone());
        }
    }
    req
}

/// The message and status of a unary gRPC response: the status from its trailers, or from
/// its headers when it has no body (a trailers-only answer).
async fn read_grpc(resp: Response<Body>) -> (Bytes, tonic::Status) {
    let (parts, body) = resp.into_parts();
    if let Some(status) = tonic::Status::from_header_map(&parts.headers) {
        return (Bytes::new(), status);
    }
    let collected = match body.collect().await {
        Ok(c) => c,
        Err(e) => return (Bytes::new(), e),
    };
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let status = tonic::Status::from_header_map(&trailers)
        .unwrap_or_else(|| tonic::Status::internal("the gRPC answer carried no status"));
    let data = collected.to_bytes();
    // One uncompressed frame: a 5-byte prefix (flag 0, length), then the message.
    match data.get(5..) {
        Some(message) if data[0] == 0 => (data.slice(5..5 + message.len()), status),
        _ if status.code() != tonic::Code::Ok => (Bytes::new(), status),
        _ => (
            Bytes::new(),
            tonic::Status::internal("the gRPC answer is not one uncompressed message"),
        ),
    }
}

fn answer(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Body> {
    let mut resp = Response::new(Body::new(Full::new(Bytes::from(body))));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Every answer is what its content type says, never sniffed as something else.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// `status` as an HTTP/JSON error.
fn error(status: tonic::Status) -> Response<Body> {
    let body = serde_json::to_vec(&status::body(&status)).unwrap_or_default();
    answer(status::http_status(status.code()), "application/json", body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Format;

    fn format_for(accept: &[&str]) -> Option<Format> {
        let mut req = Request::new(Body::empty());
        for a in accept {
            req.headers_mut()
                .append(header::ACCEPT, HeaderValue::from_str(a).unwrap());
        }
        export_format(&req)
    }

    /// The first type the client lists that a costing route answers decides; `q=0` refuses.
    #[test]
    fn accept_picks_the_first_answerable_type() {
        assert_eq!(format_for(&[]), None);
        assert_eq!(format_for(&["text/csv"]), Some(Format::Csv));
        assert_eq!(format_for(&["Text/CSV; charset=utf-8"]), Some(Format::Csv));
        assert_eq!(format_for(&[XLSX]), Some(Format::Xlsx));
        assert_eq!(format_for(&["application/json, text/csv"]), None);
        assert_eq!(format_for(&["*/*", "text/csv"]), None);
        assert_eq!(format_for(&["text/html, text/csv"]), Some(Format::Csv));
        assert_eq!(format_for(&["text/csv;q=0, application/json"]), None);
        assert_eq!(format_for(&["text/csv; q=0.0", XLSX]), Some(Format::Xlsx));
        assert_eq!(format_for(&["text/csv;q=0.5"]), Some(Format::Csv));
    }
}
