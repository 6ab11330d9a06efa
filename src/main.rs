//! `tariff-impact`: the command-line entry point. `serve` starts the gRPC server with the
//! built-in presets (plus any `--catalog DIR`); `presets` lists them.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tariff_impact::catalog::Catalog;
use tariff_impact::convert::Limits;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    version,
    about = "Exact per-unit cost impact of material prices and tariffs on a bill of materials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the gRPC server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TARIFF_LISTEN", default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// Directory with more presets (boms/, price_decks/, tariff_schedules/ of *.json).
        #[arg(long, env = "TARIFF_CATALOG")]
        catalog: Option<PathBuf>,
        /// Log as JSON lines instead of text.
        #[arg(long)]
        json_logs: bool,
    },
    /// List the presets (built-in plus --catalog) and exit; validates catalog files.
    Presets {
        /// Directory with more presets.
        #[arg(long, env = "TARIFF_CATALOG")]
        catalog: Option<PathBuf>,
    },
}

fn load_catalog(dir: Option<&PathBuf>) -> Result<Catalog, String> {
    let mut catalog = Catalog::builtin().map_err(|e| format!("built-in {e}"))?;
    if let Some(dir) = dir {
        catalog.load_dir(dir).map_err(|e| e.to_string())?;
    }
    Ok(catalog)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            listen,
            catalog,
            json_logs,
        } => {
            let filter =
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
            if json_logs {
                tracing_subscriber::fmt()
                    .with_env_filter(filter)
                    .json()
                    .init();
            } else {
                tracing_subscriber::fmt().with_env_filter(filter).init();
            }
            let catalog = match load_catalog(catalog.as_ref()) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let result = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
                tariff_impact::server::run(
                    listener,
                    catalog,
                    Limits::default(),
                    tariff_impact::server::shutdown_signal(),
                )
                .await
                .map_err(|e| e.to_string())
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Presets { catalog } => match load_catalog(catalog.as_ref()) {
            Ok(c) => {
                for b in c.boms() {
                    println!("bom             {:<28} {}", b.proto.id, b.proto.name);
                }
                for d in c.price_decks() {
                    println!(
                        "price_deck      {:<28} {} (as of {})",
                        d.proto.id, d.proto.name, d.proto.as_of_date
                    );
                }
                for s in c.tariff_schedules() {
                    println!(
                        "tariff_schedule {:<28} {} (as of {})",
                        s.proto.id, s.proto.name, s.proto.as_of_date
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
