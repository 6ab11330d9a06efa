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
        "proto/tariff/v1/cost_impact_service.proto",
        "proto/tariff/v1/catalog_service.proto",
        "proto/tariff/bench/v1/echo_service.proto",
    ];
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(protos, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
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
        .compile_fds_with_config(fds, config)?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .build(&[".tariff.v1", ".tariff.bench.v1"])?;
    Ok(())
}
