//! Compiles the `tariff.v1` protos with the pure-Rust `protox` compiler (no system `protoc`),
//! generates prost messages and tonic services, proto3-JSON serde impls (pbjson) so catalog
//! files, grpcurl output and inline requests share one format, and writes the encoded
//! descriptor set for server reflection.

use prost::Message;
use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/tariff/v1/common.proto",
        "proto/tariff/v1/bom.proto",
        "proto/tariff/v1/price_deck.proto",
        "proto/tariff/v1/tariff_schedule.proto",
        "proto/tariff/v1/overlay.proto",
        "proto/tariff/v1/catalog_object.proto",
        "proto/tariff/v1/cost_impact_service.proto",
        "proto/tariff/v1/catalog_service.proto",
        "proto/tariff/bench/v1/echo_service.proto",
    ];
    println!("cargo:rerun-if-changed=proto");
    // `sqlx::migrate!` (src/store) embeds these at build time: a new migration must rebuild.
    println!("cargo:rerun-if-changed=migrations");
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files(protos)?;
    let fds = compiler.file_descriptor_set();
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("http_routes.rs"),
        http_routes(&compiler.descriptor_pool())?,
    )?;
    let descriptor_bytes = fds.encode_to_vec();
    // Reflection describes the public API; the benchmark echo is described only when served.
    let bench = "tariff/bench/v1/echo_service.proto";
    let (bench_files, api_files): (Vec<_>, Vec<_>) =
        fds.file.iter().cloned().partition(|f| f.name() == bench);
    let set = |file| prost_types::FileDescriptorSet { file }.encode_to_vec();
    fs::write(out_dir.join("tariff_descriptor.bin"), set(api_files))?;
    fs::write(
        out_dir.join("tariff_bench_descriptor.bin"),
        set(bench_files),
    )?;

    // Every message knows its full name, so the services' codec (`crate::wire::Codec`) can
    // scan a request against its descriptor before prost decodes it.
    let mut config = prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .codec_path("crate::wire::Codec")
        // A BOM item's import is boxed: most items have none, and inline it would double the
        // size of every item in memory (which bounds how much memory a request may take).
        .boxed(".tariff.v1.BomItem.import")
        // The benchmark's pre-encoded answer: bytes sent as they are (src/server/bench_echo.rs).
        .extern_path(
            ".tariff.bench.v1.EchoAnswerResponse",
            "crate::server::bench_echo::AnswerBytes",
        )
        .compile_fds_with_config(fds, config)?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .exclude([".tariff.bench.v1.EchoAnswerResponse"])
        .build(&[".tariff.v1", ".tariff.bench.v1"])?;
    Ok(())
}

/// The HTTP/JSON routes the protos declare (`google.api.http` on each method), as a Rust table
/// of (HTTP method, path template, body, gRPC path): the server's JSON gateway routes by it,
/// so the annotations are the one source of the HTTP API.
fn http_routes(pool: &prost_reflect::DescriptorPool) -> Result<String, Box<dyn std::error::Error>> {
    use prost_reflect::Value;
    let http = pool
        .get_extension_by_name("google.api.http")
        .ok_or("google.api.http is not defined")?;
    let mut rows = String::new();
    for service in pool.services() {
        if !service.full_name().starts_with("tariff.v1.") {
            continue;
        }
        for method in service.methods() {
            let options = method.options();
            if !options.has_extension(&http) {
                continue;
            }
            let Value::Message(rule) = &*options.get_extension(&http) else {
                return Err(
                    format!("{}: google.api.http is not a message", method.full_name()).into(),
                );
            };
            let field = |name: &str| match rule.get_field_by_name(name).as_deref() {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let (verb, path) = ["get", "put", "post", "delete", "patch"]
                .iter()
                .find(|v| rule.has_field_by_name(v))
                .map(|v| (v.to_uppercase(), field(v)))
                .ok_or_else(|| format!("{}: no HTTP method in its rule", method.full_name()))?;
            rows.push_str(&format!(
                "    ({verb:?}, {path:?}, {:?}, \"/{}/{}\"),\n",
                field("body"),
                service.full_name(),
                method.name()
            ));
        }
    }
    Ok(format!(
        "/// (HTTP method, path template, body, gRPC path) of every annotated method.\npub const HTTP_ROUTES: &[(&str, &str, &str, &str)] = &[\n{rows}];\n"
    ))
}
